# Signed beats, server side: a device declared with Key= accepts only beats
# signed with its key, each once.  The signature is computed here with Perl's
# own Digest::SHA, as an independent client would.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Digest::SHA qw(hmac_sha256_hex);
use File::Path qw(make_path);
use Time::HiRes ();
use PhTest qw(phonehome_conf private_httpd status_json device_of beat config_test t_dir);

my $key = 'c0ffee' x 8;                 # what "openssl rand -hex 32" makes
my $dir = t_dir() . '/private/signed';
make_path($dir);
open my $fh, '>', "$dir/signed.key" or die;
print $fh "$key\n";
close $fh;
chmod 0600, "$dir/signed.key";     # a secret: refused when others may read it

my $h = private_httpd('signed', phonehome_conf() . <<'EOC');
PhoneHomeDevice signed-pi Key=signed.key
PhoneHomeDevice open-pi
EOC
my $b = $h->base;

sub signed_query {
    my (%v) = @_;
    my $dev = delete $v{device} // 'signed-pi';
    my $k = delete $v{key} // $key;
    my $msg = join "\n", 'phonehome-v1', $dev, map { $v{$_} // '' } qw(seq t boot up);
    my $sig = hmac_sha256_hex($msg, $k);
    return join '&', (map { "$_=$v{$_}" } grep { defined $v{$_} } qw(seq t boot up)), "sig=$sig";
}

# A client's seq is at least its clock in milliseconds: a start that may
# have lost the last seq sets the floor to its own time (t/security.t).
my $s0 = int(Time::HiRes::time() * 1000);
my $boot = '5e2f64b9-0961-492c-8f4c-f01abadc085b';
my $q = signed_query(seq => $s0 + 100, t => 1700000000, boot => $boot, up => '12345.67');
my $r = beat("/raspberrypiPhoneHome/signed-pi?$q", base => $b);
is $r->code, 200, 'a correctly signed beat is accepted' or diag $r->content;
my $d = device_of(status_json($b), 'signed-pi');
is $d->{beats}, 1, 'and counted';
is $d->{uptime}, 12345, 'the signature covers up exactly as sent (with its fraction)';

$r = beat("/raspberrypiPhoneHome/signed-pi?$q", base => $b);
is $r->code, 409, 'the same request again (a replay) is refused';
like $r->content, qr/\Areplayed or old beat: seq @{[$s0 + 100]} is not above @{[$s0 + 100]}\n\z/, 'and says the last seq';
is device_of(status_json($b), 'signed-pi')->{beats}, 1, 'and not counted';

$r = beat('/raspberrypiPhoneHome/signed-pi?' . signed_query(seq => $s0 + 50, t => 1700000001), base => $b);
is $r->code, 409, 'an older seq is refused, whatever the clock says';

$r = beat('/raspberrypiPhoneHome/signed-pi?' . signed_query(seq => $s0 + 101), base => $b);
is $r->code, 200, 'the next seq is accepted, with no t= at all (no clock needed)';
is device_of(status_json($b), 'signed-pi')->{beats}, 2, 'counted';

(my $upper = signed_query(seq => $s0 + 102)) =~ s/sig=(\w+)/'sig=' . uc $1/e;
is beat("/raspberrypiPhoneHome/signed-pi?$upper", base => $b)->code, 200, 'upper-case hex is fine';

$r = beat("/raspberrypiPhoneHome/signed-pi?seq=@{[$s0 + 200]}&t=5", base => $b);
is $r->code, 401, 'an unsigned beat is 401';
like $r->header('WWW-Authenticate') // '', qr/PhoneHome/, 'with WWW-Authenticate';
like $r->content, qr/must be signed/, 'and says why';
is beat('/raspberrypiPhoneHome/signed-pi?' . signed_query(seq => $s0 + 201, key => 'x' x 64), base => $b)->code,
   403, 'the wrong key is 403';
(my $tampered = signed_query(seq => $s0 + 202, t => 1700000000)) =~ s/t=1700000000/t=1700000999/;
is beat("/raspberrypiPhoneHome/signed-pi?$tampered", base => $b)->code, 403, 'a changed parameter is 403';
is beat('/raspberrypiPhoneHome/signed-pi?' . signed_query(seq => $s0 + 203, device => 'open-pi'), base => $b)->code,
   403, "a signature made for another device's name is 403";
is beat("/raspberrypiPhoneHome?device=signed-pi&" . signed_query(seq => $s0 + 204), base => $b)->code, 200,
   'device= works as well as the path';
is beat("/raspberrypiPhoneHome/signed-pi?seq=@{[$s0 + 205]}&sig=" . ('0' x 63), base => $b)->code, 403,
   'a short signature is 403';
is device_of(status_json($b), 'signed-pi')->{beats}, 4, 'no refused beat was counted';
is beat('/raspberrypiPhoneHome/open-pi?seq=1&sig=whatever', base => $b)->code, 200,
   'a device without Key= ignores sig=';

my $everything = join '', map { $_->content } map { beat($_, base => $b) }
    '/phonehome-status', '/phonehome-status?json', '/phonehome-status?auto', '/phonehome-status?metrics';
unlike $everything . $h->log, qr/$key/, 'the key is on no status page and in no log';
$h->stop;

# Bad key files stop httpd at startup, naming the device and the file, and
# never printing the key.
open $fh, '>', "$dir/short.key" or die;
print $fh "tooshort\n";
close $fh;
chmod 0600, "$dir/short.key";
my ($st, $out) = config_test('badkey1', "LoadModule phonehome_module \"\@Module\@\"\n"
                             . "PhoneHomeDevice x-pi Key=$dir/short.key\n");
isnt $st, 0, 'a short key stops httpd';
like $out, qr/PhoneHomeDevice: device 'x-pi': Key=\S*short\.key: the key must be 32 to 1024 characters/,
     'naming the device and the file';
unlike $out, qr/tooshort/, 'without printing the key';
($st, $out) = config_test('badkey2', "LoadModule phonehome_module \"\@Module\@\"\n"
                          . "PhoneHomeDevice x-pi Key=$dir/missing.key\n");
isnt $st, 0, 'a missing key file stops httpd';
like $out, qr/Key=\S*missing\.key: cannot read the key file/, 'and says so';

done_testing();
