# httpd refuses to start on a configuration it cannot honour, and says which
# module or which directive and value is wrong.  "httpd -t" runs the same
# checks, so a config test catches them before a restart does.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use PhTest qw(config_test);

my $load = qq{LoadModule phonehome_module "\@Module\@"\n};
my $n = 0;

sub refused {
    my ($what, $conf, $pattern, %o) = @_;
    my ($status, $out) = config_test('startup-' . ++$n, $load . $conf, %o);
    isnt $status, 0, "$what: httpd refuses to start";
    like $out, $pattern, "$what: the message names it" or diag $out;
}

my $keyfile = PhTest::t_dir() . '/private/startup.key';
{
    require File::Path;
    File::Path::make_path(PhTest::t_dir() . '/private');
    open my $fh, '>', $keyfile or die "$keyfile: $!";
    print $fh 'ab' x 32, "\n";
    close $fh;
    chmod 0600, $keyfile;               # a secret: others may not read it
}
my ($status, $out) = config_test('startup-good', $load . <<"EOC");
PhoneHomeMailFrom  pialert\@example.com
PhoneHomeMailTo    me\@example.com 9085551234\@vtext.com
PhoneHomeDevice kitchen-pi MaxAge=60 Name="Kitchen Pi" MailTo=a\@example.com,b\@example.com Key=$keyfile
PhoneHomeSMTPServer [::1]:2525
PhoneHomeSMTPStartTLS Required
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeNotifyFirstBeat On
PhoneHomeMonitorName "Home monitor"
EOC
is $status, 0, 'a good configuration passes httpd -t' or diag $out;

refused('no mod_slotmem_shm', '', qr/PH00001: mod_phonehome needs mod_slotmem_shm/,
        without => 'slotmem_shm_module');
refused('MaxAge 0', "PhoneHomeMaxAge 0\n", qr/PhoneHomeMaxAge: '0' is not a whole number from 1/);
refused('MaxAge abc', "PhoneHomeMaxAge abc\n", qr/PhoneHomeMaxAge: 'abc'/);
refused('MaxAge -5', "PhoneHomeMaxAge -5\n", qr/PhoneHomeMaxAge: '-5'/);
refused('MaxAge 10s', "PhoneHomeMaxAge 10s\n", qr/PhoneHomeMaxAge: '10s'/);
refused('MaxDevices 0', "PhoneHomeMaxDevices 0\n", qr/PhoneHomeMaxDevices: '0'/);
refused('MaxDevices beyond reason', "PhoneHomeMaxDevices 50000000\n",
        qr/PhoneHomeMaxDevices: '50000000' is not a whole number from 1 to 1000000/);
refused('MaxDevices below the declared', "PhoneHomeMaxDevices 1\nPhoneHomeDevice a\nPhoneHomeDevice b\n",
        qr/PH00003: PhoneHomeMaxDevices 1 is less than the 2 devices declared/);
refused('StartupGrace abc', "PhoneHomeStartupGrace abc\n", qr/PhoneHomeStartupGrace: 'abc'/);
refused('AutoRegister maybe', "PhoneHomeAutoRegister maybe\n", qr/PhoneHomeAutoRegister must be On or Off/);
refused('device name with a space', qq{PhoneHomeDevice "bad name"\n},
        qr/PhoneHomeDevice: 'bad name': device name may only contain/);
refused('device name with a dot first', "PhoneHomeDevice .pi\n", qr/PhoneHomeDevice: '.pi': device name must not start/);
refused('device name of 64', 'PhoneHomeDevice ' . ('a' x 64) . "\n", qr/PhoneHomeDevice: 'a{64}': device name is longer/);
refused('device declared twice', "PhoneHomeDevice pi\nPhoneHomeDevice pi\n", qr/PhoneHomeDevice: 'pi' is declared twice/);
refused('device MaxAge=0', "PhoneHomeDevice pi MaxAge=0\n", qr/PhoneHomeDevice: device 'pi': '0' is not a whole number/);
refused('device unknown option', "PhoneHomeDevice pi Colour=red\n", qr/PhoneHomeDevice: device 'pi': unknown option 'Colour'/);
refused('device bad MailTo', "PhoneHomeDevice pi MailTo=nobody\n", qr/PhoneHomeDevice: device 'pi': MailTo='nobody' is not a mail address/);
refused('device unclosed quote', qq{PhoneHomeDevice pi Name="Kitchen\n}, qr/PhoneHomeDevice: a double quote is not closed/);
refused('MailFrom not an address', "PhoneHomeMailFrom pialert\n", qr/PhoneHomeMailFrom: 'pialert' is not a mail address/);
refused('MailTo with a header injection', "PhoneHomeMailTo \"me\@example.com\\r\\nBcc: x\@y\"\n",
        qr/PhoneHomeMailTo: .* is not a mail address/);
refused('SMTPServer bad port', "PhoneHomeSMTPServer mail:99999\n", qr/PhoneHomeSMTPServer: 'mail:99999'/);
refused('SMTPStartTLS maybe', "PhoneHomeSMTPStartTLS maybe\n", qr/PhoneHomeSMTPStartTLS: 'maybe' is not Off, On or Required/);
refused('SMTPAuth missing file', "PhoneHomeSMTPAuth alert /nonexistent/pw\n", qr/PhoneHomeSMTPAuth: password file '\/nonexistent\/pw'/);
refused('DigestWindow too long', "PhoneHomeDigestWindow 99999\n", qr/PhoneHomeDigestWindow: '99999'/);
refused('MonitorName with a control character', "PhoneHomeMonitorName \"a\tb\"\n", qr/PhoneHomeMonitorName: /);
refused('a directive in a virtual host', "<VirtualHost 127.0.0.1:80>\nPhoneHomeMaxAge 60\n</VirtualHost>\n",
        qr/PhoneHomeMaxAge cannot occur within <VirtualHost> section/);

done_testing();
