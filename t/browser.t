# ph-test: one-mpm
# The status page and the board in a real browser (Debian's chromium,
# headless, through chromedriver and python3-selenium) at 1280 and 390 px:
# nothing wider than a phone, down devices first, display names visible,
# history bar frames, a hostile display name and User-Agent shown as text,
# and the board without addresses.  Screenshots are kept in
# t/private/browser/ (PH_KEEP_LOGS=DIR keeps them in DIR/<mpm>/).
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use File::Spec;
use JSON::PP ();
use PhTest qw(phonehome_conf private_httpd beat poll_until t_dir);

my $evil_name = q{<img src=x onerror=window.__phonehome_xss=1> Cabin & 'co'};
my $evil_ua = q{<script>window.__phonehome_xss=1</script>Mozilla/5.0 (an exceptionally long User-Agent string that goes on and on without a break)};
my $h = private_httpd('browser', phonehome_conf() . <<"EOC");
PhoneHomeMaxAge 3600
PhoneHomeStartupGrace 0
PhoneHomeDevice cabin-pi MaxAge=1 Name="$evil_name"
PhoneHomeDevice kitchen-pi Name="Kitchen"
<Location /phonehome-board>
    SetHandler phonehome-board
</Location>
EOC
my $base = $h->base;
is beat("/raspberrypiPhoneHome/kitchen-pi?up=12345", base => $base,
        headers => { 'User-Agent' => $evil_ua })->code, 200, 'kitchen-pi beats';
is beat("/raspberrypiPhoneHome/cabin-pi", base => $base,
        headers => { 'User-Agent' => $evil_ua })->code, 200, 'cabin-pi beats once';
is beat("/raspberrypiPhoneHome/a-device-with-a-rather-long-name-to-wrap-0123456789abcdef",
        base => $base)->code, 200, 'a long name beats';
ok poll_until(30, sub { PhTest::status_json($base)->{devices}[0]{state} eq 'down' }),
   'cabin-pi goes down';

my $shots = File::Spec->catdir(t_dir(), 'private', 'browser', 'screenshots');
make_path($shots);
my $json = `/usr/bin/python3 @{[File::Spec->catfile(t_dir(), 'browser.py')]} '$base/phonehome-status' '$base/phonehome-board' '$shots' 2>&1`;
my $r = eval { JSON::PP->new->decode((split /\n/, $json)[-1]) };
ok $r, 'the browser ran' or BAIL_OUT("browser.py: $json");

for my $w (1280, 390) {
    my $s = $r->{"status-$w"};
    my $b = $r->{"board-$w"};
    ok $s->{scrollWidth} <= $w, "status at $w px: no horizontal overflow ($s->{scrollWidth})";
    ok $b->{scrollWidth} <= $w, "board at $w px: no horizontal overflow ($b->{scrollWidth})";
    is $s->{cards}[0], 'down', "status at $w px: the down device first";
    is $s->{devs}[0], 'cabin-pi', "status at $w px: it is cabin-pi";
    ok grep({ $_ eq 'Kitchen' } @{ $s->{disp} }), "status at $w px: display names visible";
    ok grep({ $_ eq $evil_name } @{ $s->{disp} }), "status at $w px: a hostile display name shown as text";
    like $s->{text}, qr/\Q<script>window.__phonehome_xss=1<\/script>Mozilla/, "status at $w px: the User-Agent as text";
    is $s->{images}, 0, "status at $w px: no image element from a device";
    is $s->{scripts}, 0, "status at $w px: no script at all";
    ok !$s->{xss} && !$b->{xss}, "status and board at $w px: nothing a device sent ran";
    is $s->{frames}, 2 * @{ $s->{cards} }, "status at $w px: two history bars a device";
    ok $s->{bars} > 0 || $s->{nohist} == $s->{frames},
       "status at $w px: the bars, or 'no history yet' in each frame";
    is $s->{styled}, 'solid', "status at $w px: the stylesheet applies (under the CSP)";
    like $s->{text}, qr/1 of 3 devices is down/, "status at $w px: the summary";
    is $b->{cards}[0], 'down', "board at $w px: down first";
    ok grep({ $_ eq $evil_name } @{ $b->{disp} }), "board at $w px: display names as text";
    unlike $b->{text}, qr/127\.0\.0\.1/, "board at $w px: no address";
    unlike $b->{text}, qr/Mozilla|script/, "board at $w px: no User-Agent";
    is $b->{frames}, 2 * @{ $b->{cards} }, "board at $w px: history bars";
}
ok -s "$shots/status-390.png" && -s "$shots/board-1280.png", "screenshots kept in $shots";
done_testing();
