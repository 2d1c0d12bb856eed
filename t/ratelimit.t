# Rate limits: a device beating faster than PhoneHomeRateLimit gets 429 at
# once (never a tarpit) and is not counted; one client address cannot
# register new names faster than PhoneHomeRegisterLimit.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Time::HiRes qw(time);
use PhTest qw(phonehome_conf private_httpd status_json device_of beat config_test);

my $common = phonehome_conf() . <<'EOC';
RemoteIPHeader X-Forwarded-For
RemoteIPInternalProxy 127.0.0.1
EOC

{
    my $h = private_httpd('rate', $common . <<'EOC');
PhoneHomeRateLimit 5 60
PhoneHomeRegisterLimit 3 60
PhoneHomeDevice declared-pi
EOC
    my $b = $h->base;
    is beat('/raspberrypiPhoneHome/fast-pi', base => $b)->code, 200, "beat $_ of 5" for 1 .. 5;
    my $t0 = time;
    my $r = beat('/raspberrypiPhoneHome/fast-pi', base => $b);
    my $took = time - $t0;
    is $r->code, 429, 'the sixth beat within a minute is 429';
    ok $took < 1, sprintf('answered at once, no tarpit (%.3f s)', $took);
    like $r->content, qr/\Atoo many beats from this device: at most 5 in 60 s\n\z/, 'one line that says the limit';
    my $ra = $r->header('Retry-After') // '';
    ok $ra =~ /^\d+$/ && $ra >= 1 && $ra <= 12, "Retry-After says when ($ra s)";
    is device_of(status_json($b), 'fast-pi')->{beats}, 5, 'the refused beat is not counted';
    is beat('/raspberrypiPhoneHome/fast-pi', base => $b)->code, 429, 'still refused';
    is beat('/raspberrypiPhoneHome/slow-pi', base => $b)->code, 200, 'other devices are not affected';

    # New names from one address: fast-pi and slow-pi took 2 of 3.
    is beat('/raspberrypiPhoneHome/third-pi', base => $b)->code, 200, 'a third new name';
    $r = beat('/raspberrypiPhoneHome/fourth-pi', base => $b);
    is $r->code, 429, 'a fourth new name from the same address is 429';
    like $r->content, qr/\Atoo many new devices from this address: at most 3 in 60 s\n\z/, 'and says why';
    ok !device_of(status_json($b), 'fourth-pi'), 'and takes no slot';
    is beat('/raspberrypiPhoneHome/slow-pi', base => $b)->code, 200, 'known devices still beat';
    is beat('/raspberrypiPhoneHome/declared-pi', base => $b)->code, 200, 'declared devices are not new names';
    is beat('/raspberrypiPhoneHome/fourth-pi', base => $b, headers => { 'X-Forwarded-For' => '203.0.113.9' })->code,
       200, 'another address has its own allowance';
    $h->stop;
}

{
    my $h = private_httpd('rate-default', $common);
    my $b = $h->base;
    my @codes = map { beat('/raspberrypiPhoneHome/burst-pi', base => $b)->code } 1 .. 31;
    is_deeply [@codes[0 .. 29]], [(200) x 30], 'by default 30 beats a minute pass';
    is $codes[30], 429, 'and the 31st is refused';
    @codes = map { beat("/raspberrypiPhoneHome/new-$_", base => $b)->code } 1 .. 20;
    is_deeply \@codes, [(200) x 19, 429], 'by default 20 new names a minute from one address (burst-pi was one)';
    $h->stop;
}

my $load = qq{LoadModule phonehome_module "\@Module\@"\n};
my ($st, $out) = config_test('rate-bad1', $load . "PhoneHomeRateLimit 5\n");
isnt $st, 0, 'PhoneHomeRateLimit without seconds stops httpd';
like $out, qr/PhoneHomeRateLimit: '5' needs a number and seconds/, 'naming it';
($st, $out) = config_test('rate-bad2', $load . "PhoneHomeRegisterLimit 0 60\n");
like $out, qr/PhoneHomeRegisterLimit: '0' is not a whole number/, 'a limit of 0 is refused';
($st, $out) = config_test('rate-off', $load . "PhoneHomeRateLimit Off\nPhoneHomeRegisterLimit off\n");
is $st, 0, 'Off is accepted' or diag $out;

done_testing();
