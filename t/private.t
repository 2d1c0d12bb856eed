# What needs a server of its own: PhoneHomeAutoRegister Off, a full table,
# and the table surviving graceful restarts and stop/start.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat);

my $common = phonehome_conf() . "PhoneHomeMaxAge 3\n";

# --- AutoRegister Off: only declared names are accepted -------------------
{
    my $h = private_httpd('noauto', $common . <<'EOC');
PhoneHomeAutoRegister Off
PhoneHomeDevice known-pi
EOC
    my $base = $h->base;
    my $r = beat('/raspberrypiPhoneHome/stranger-pi', base => $base);
    is $r->code, 404, 'AutoRegister Off: an undeclared name is 404';
    like $r->content, qr/\A[^\n]*PhoneHomeDevice[^\n]*\n\z/, 'one line that says what to do';
    is beat('/raspberrypiPhoneHome?1359860402', base => $base)->code, 404,
       'the default device is not declared here either';
    is beat('/raspberrypiPhoneHome/known-pi', base => $base)->code, 200, 'a declared name is accepted';
    my $s = status_json($base);
    is_deeply [map { $_->{name} } @{ $s->{devices} }], ['known-pi'], 'nothing undeclared was recorded';
    $h->stop;
}

# --- A full table: 503 for new names, old ones undisturbed -----------------
{
    my $h = private_httpd('full', $common . "PhoneHomeMaxDevices 3\n");
    my $base = $h->base;
    is beat("/raspberrypiPhoneHome/fill-$_", base => $base)->code, 200, "device $_ of 3" for 1 .. 3;
    my $r = beat('/raspberrypiPhoneHome/one-too-many', base => $base);
    is $r->code, 503, 'a new device in a full table is 503';
    like $r->content, qr/\Adevice table is full\n\z/, 'with a one-line reason';
    like $h->log, qr/PH00012: device table is full \(3 devices\).*one-too-many.*PhoneHomeMaxDevices/,
         'and an error-log line that says what to raise';
    is beat('/raspberrypiPhoneHome/fill-2', base => $base)->code, 200, 'known devices still beat';
    my $s = status_json($base);
    is scalar @{ $s->{devices} }, 3, 'the refused device took no slot';
    is device_of($s, 'fill-2')->{beats}, 2, 'and disturbed no one';
    $h->stop;
}

# --- Graceful restart and stop/start keep every count ----------------------
{
    my $h = private_httpd('persist', $common . "PhoneHomeDevice quiet-pi\n");
    my $base = $h->base;
    beat("/raspberrypiPhoneHome/keep-pi?t=1700000000&boot=b1&up=10", base => $base) for 1 .. 7;
    beat("/raspberrypiPhoneHome/other-pi", base => $base) for 1 .. 2;
    my $before = status_json($base);
    my $k = device_of($before, 'keep-pi');
    is $k->{beats}, 7, 'seven beats before the restart';

    ok $h->graceful, 'graceful restart';
    my $after = status_json($base);
    is $after->{started}, $before->{started}, 'a graceful restart is not a start';
    my $k2 = device_of($after, 'keep-pi');
    is_deeply [@$k2{qw(beats last_seen since state boot_id client_time uptime)}],
              [@$k{qw(beats last_seen since state boot_id client_time uptime)}],
              'graceful restart keeps the device exactly';
    is device_of($after, 'other-pi')->{beats}, 2, 'and every other device';
    is device_of($after, 'quiet-pi')->{state}, 'unknown', 'a declared silent device stays unknown';
    is beat('/raspberrypiPhoneHome/keep-pi', base => $base)->code, 200, 'beats go on after it';
    is device_of(status_json($base), 'keep-pi')->{beats}, 8, 'counting on from 7';

    ok $h->stop, 'stop';
    ok $h->start, 'start again';
    my $again = status_json($base);
    is device_of($again, 'keep-pi')->{beats}, 8, 'stop/start keeps the counts';
    is device_of($again, 'keep-pi')->{last_seen}, device_of(status_json($base), 'keep-pi')->{last_seen},
       'and last_seen';
    ok $again->{started} >= $before->{started}, 'a real start is a new start';
    is beat('/raspberrypiPhoneHome/new-after-start', base => $base)->code, 200,
       'new devices register after a restart';
    is device_of(status_json($base), 'new-after-start')->{beats}, 1, 'in a slot of their own';
    is device_of(status_json($base), 'keep-pi')->{beats}, 8, 'without disturbing the restored ones';
    $h->stop;
}

done_testing();
