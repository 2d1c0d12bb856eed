# The status page's filters, device view, board, badge and Prometheus
# names, on a private server: every format honours state=, q=, limit= and
# offset=; bad input is a one-line 400 or 404; the board shows no address,
# User-Agent or boot id; promtool accepts ?metrics; PhoneHomeMetricsDevices
# keeps the per-device series to what is asked.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use JSON::PP ();
use LWP::UserAgent ();
use PhTest qw(phonehome_conf private_httpd beat poll_until);

my $hostile = q{<img src=x onerror=alert(1)> & "q"};
my $ua = LWP::UserAgent->new(timeout => 30, keep_alive => 0);
my $conf = phonehome_conf() . <<"EOC";
PhoneHomeMaxAge 3600
PhoneHomeStartupGrace 0
PhoneHomeDevice gone-pi MaxAge=1 Name="Gone \\"<b>Pi</b>\\""
PhoneHomeDevice quiet-pi
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit Off
<Location /phonehome-board>
    SetHandler phonehome-board
</Location>
EOC
my $h = private_httpd('views', $conf);
my $base = $h->base;
sub get { $ua->get($base . shift) }
sub json { JSON::PP->new->decode(get(shift)->content) }

is beat("/raspberrypiPhoneHome/gone-pi?boot=b00t-1234", base => $base,
        headers => { 'User-Agent' => $hostile })->code, 200, 'gone-pi beats once';
is beat("/raspberrypiPhoneHome/up-$_?up=100", base => $base,
        headers => { 'User-Agent' => $hostile })->code, 200, "up-$_ beats" for 1 .. 5;
ok poll_until(30, sub { (json('/phonehome-status?json&device=gone-pi')->{device}{state} // '') eq 'down' }),
   'gone-pi goes down after its MaxAge';

# --- filters, every format -------------------------------------------------
my $s = json('/phonehome-status?json&state=up');
is_deeply [sort map { $_->{name} } @{ $s->{devices} }], [map { "up-$_" } 1 .. 5], '?json&state=up';
$s = json('/phonehome-status?json&state=down,unknown');
is_deeply [sort map { $_->{name} } @{ $s->{devices} }], [qw(gone-pi quiet-pi)], '?json&state=down,unknown';
$s = json('/phonehome-status?json&q=GONE');
is_deeply [map { $_->{name} } @{ $s->{devices} }], ['gone-pi'], 'q= matches the name, any case';
$s = json('/phonehome-status?json&q=%3Cb%3EPi');
is_deeply [map { $_->{name} } @{ $s->{devices} }], ['gone-pi'], 'q= matches the display name';
my @all = map { $_->{name} } @{ json('/phonehome-status?json')->{devices} };
is scalar @all, 7, 'seven devices';
my @page = map { $_->{name} } @{ json('/phonehome-status?json&limit=2&offset=3')->{devices} };
is_deeply \@page, [@all[3, 4]], 'limit= and offset= page the same order';
is scalar @{ json('/phonehome-status?json&offset=1000000')->{devices} }, 0, 'an offset past the end is an empty list';
is scalar @{ json('/phonehome-status?json&limit=0')->{devices} }, 0, 'limit=0 lists none';
my $auto = get('/phonehome-status?auto&state=up&limit=2')->content;
my @names = $auto =~ /^Device\[\d+\]Name: (.*)$/mg;
is scalar @names, 2, '?auto honours limit=';
ok !grep({ !/^up-/ } @names), '?auto honours state=';
like $auto, qr/^PhoneHomeMatched: 5$/m, '?auto says how many match';
like $auto, qr/^PhoneHomeDevices: 7$/m, 'and still counts the whole table';
my $m = get('/phonehome-status?metrics&state=down')->content;
like $m, qr/^phonehome_device_up\{device="gone-pi"\} 0$/m, '?metrics&state=down has the down device';
unlike $m, qr/^phonehome_device_up\{device="up-1"\}/m, 'and not the up ones';
my $html = get('/phonehome-status?q=up-3')->content;
like $html, qr/up-3/, 'HTML q=';
unlike $html, qr/up-4/, 'HTML q= leaves the others out';

# --- HTML: down first, names, escaping, CSP, style.css ---------------------
my $r = get('/phonehome-status');
$html = $r->content;
like $r->header('Content-Security-Policy'), qr/default-src 'none'; style-src 'self'/, 'a strict CSP';
unlike $html, qr/<script|<style|\sstyle=/i, 'no inline script or style';
like $html, qr/<meta name="viewport"/, 'a viewport meta tag';
like $html, qr{<link rel="stylesheet" href="/phonehome-status/style.css">}, 'style from the Location';
ok index($html, 'gone-pi') < index($html, 'up-1'), 'down before up';
like $html, qr/Gone &quot;&lt;b&gt;Pi&lt;\/b&gt;&quot;/, 'display name shown, escaped';
like $html, qr/&lt;img src=x onerror=alert\(1\)&gt; &amp; &quot;q&quot;/, 'User-Agent escaped';
unlike $html, qr/<img/, 'no markup from a device';
like $html, qr/down for \d+ s/, 'a human duration';
like $html, qr/1 of 7 devices is down \(since \d\d:\d\d/, 'the summary says how many are down';
like $html, qr/DOWN/, 'the state in words, not colour alone';
like $html, qr/no history yet/, 'the history frame';
like $html, qr/went down at \d\d:\d\d \S+\./, 'recent events as sentences';
$r = get('/phonehome-status/style.css');
is $r->code, 200, 'style.css';
like $r->header('Content-Type'), qr{^text/css}, 'as text/css';
like $r->content, qr/prefers-color-scheme:dark/, 'with a dark mode';

# --- paging: every device not up, then 100 up ones, a page at a time ----------
{
    my @cards = get('/phonehome-status?limit=2')->content =~ /<li class="card (\w+)"/g;
    is_deeply \@cards, ['down', 'unknown'], 'HTML limit=2: the two not up';
    like get('/phonehome-status?limit=2')->content, qr/<a rel="next" href="\?offset=2&amp;limit=100">/,
         'and a link to the next page';
    like get('/phonehome-status?offset=2&limit=2&q=up')->content,
         qr/<a rel="prev" href="\?offset=0&amp;limit=2&amp;q=up">/, 'a previous link keeps the filters';
    my ($host, $port) = $base =~ m{//([^:]+):(\d+)};
    is PhTest::keepalive_beats($host, $port, map { "/raspberrypiPhoneHome/many-$_" } 1 .. 120), 120,
       '120 more devices beat';
    my $page = get('/phonehome-status')->content;
    @cards = $page =~ /<li class="card (\w+)"/g;
    is scalar @cards, 102, 'the first page: both devices not up and 100 up';
    is_deeply [@cards[0, 1]], ['down', 'unknown'], 'not up first';
    like $page, qr/127 devices in the table/, 'the summary counts all';
    like $page, qr/Showing 1-102\./, 'and says which are shown';
    @cards = get('/phonehome-status?offset=102&limit=100')->content =~ /<li class="card (\w+)"/g;
    is scalar @cards, 25, 'the next page: the rest';
}

# --- device view -------------------------------------------------------------
$r = get('/phonehome-status?device=gone-pi');
is $r->code, 200, '?device=NAME';
like $r->content, qr/b00t-1234/, 'the device view shows the boot id';
like $r->content, qr/<h1>Gone &quot;&lt;b&gt;Pi&lt;\/b&gt;&quot;<\/h1>/, 'titled by its display name';
my $d = json('/phonehome-status?json&device=gone-pi');
is $d->{device}{name}, 'gone-pi', '?json&device=NAME';
is $d->{device}{boot_id}, 'b00t-1234', 'with its facts';
ok ref $d->{events} eq 'ARRAY' && grep({ $_->{event} eq 'down' } @{ $d->{events} }), 'and its events';

# --- bad input: one line, 400 or 404 ------------------------------------------
for my $q ('state=sideways', 'limit=-1', 'offset=-1', 'limit=99999999999', 'offset=abc',
           'refresh=0', 'device=%3Cx%3E', 'q=%ZZ', 'json&state=upp', 'metrics&limit=-5',
           'auto&offset=1000001') {
    $r = get("/phonehome-status?$q");
    is $r->code, 400, "?$q is 400";
    like $r->content, qr/\A[^\n]+\n\z/, "with one line";
}
for my $q ('device=no-such-pi', 'json&device=no-such-pi', 'badge=no-such-pi') {
    $r = get("/phonehome-status?$q");
    is $r->code, 404, "?$q is 404";
    like $r->content, qr/\Ano device no-such-pi\n\z/, 'with one line';
}

# --- Prometheus ---------------------------------------------------------------
for my $path ('/phonehome-status?metrics', '/phonehome-status?metrics=', '/phonehome-status?metrics=x',
              '/phonehome-status/metrics') {
    $r = get($path);
    is $r->code, 200, "$path answers";
    like $r->header('Content-Type'), qr{^text/plain; version=0\.0\.4}, "$path is Prometheus text";
}
$m = get('/phonehome-status/metrics')->content;
for my $re (qr/^phonehome_device_up\{device="up-1"\} 1$/m,
            qr/^phonehome_device_up\{device="gone-pi"\} 0$/m,
            qr/^phonehome_start_time_seconds \d+$/m,
            qr/^phonehome_build_info\{version="[^"]+"\} 1$/m,
            qr/^phonehome_device_state\{device="gone-pi",state="down"\} 1$/m,
            qr/^phonehome_device_state\{device="gone-pi",state="up"\} 0$/m,
            qr/^phonehome_device_last_seen_timestamp_seconds\{device="gone-pi"\} \d+$/m,
            qr/^phonehome_device_info\{device="gone-pi",display="Gone \\"<b>Pi<\/b>\\""\} 1$/m) {
    like $m, $re, "metrics: $re";
}
unlike $m, qr/phonehome_device_age_seconds|phonehome_started_seconds|phonehome_device_last_seen_seconds/,
       'the old and redundant names are gone';
{
    my $file = $h->dir . '/metrics.txt';
    open my $fh, '>', $file or die "$file: $!";
    print $fh $m;
    close $fh;
    my $out = `promtool check metrics < "$file" 2>&1`;
    is $?, 0, 'promtool check metrics passes' or diag $out;
}

# --- the board and the badge -----------------------------------------------------
$r = get('/phonehome-board');
is $r->code, 200, 'the board answers';
is $r->header('Cache-Control'), 'max-age=5', 'the board may be cached 5 s';
$html = $r->content;
like $html, qr/Gone &quot;&lt;b&gt;Pi&lt;\/b&gt;&quot;/, 'the board shows display names';
ok index($html, 'Gone') < index($html, 'up-1'), 'down first on the board too';
unlike $html, qr/127\.0\.0\.1/, 'no address on the board';
unlike $html, qr/onerror|User-Agent/, 'no User-Agent on the board';
unlike $html, qr/b00t/, 'no boot id on the board';
unlike $html, qr/clock [+-]/, 'no skew on the board';
like $html, qr/no history yet/, 'history frames on the board';
is get('/phonehome-board?json')->code, 400, 'the board has no ?json';
for my $loc ('/phonehome-board', '/phonehome-status') {
    $r = get("$loc?badge=gone-pi");
    is $r->code, 200, "$loc?badge=NAME";
    like $r->header('Content-Type'), qr{^image/svg\+xml}, 'an SVG';
    like $r->content, qr{<svg [^>]*aria-label="Gone &quot;&lt;b&gt;Pi&lt;/b&gt;&quot;: down"}, 'labelled, escaped';
    unlike $r->content, qr/<b>/, 'no markup from the configuration';
}
undef $h;

# --- PhoneHomeMetricsDevices ----------------------------------------------------
for my $case (['NotUp', 1, 0], ['None', 0, 0]) {
    my ($mode, $down_listed, $up_listed) = @$case;
    my $p = private_httpd("metrics-\L$mode", phonehome_conf() . <<"EOC");
PhoneHomeMaxAge 3600
PhoneHomeStartupGrace 0
PhoneHomeDevice late-pi MaxAge=1
PhoneHomeMetricsDevices $mode
EOC
    is beat('/raspberrypiPhoneHome/late-pi', base => $p->base)->code, 200, "$mode: late-pi beats";
    is beat('/raspberrypiPhoneHome/fine-pi', base => $p->base)->code, 200, "$mode: fine-pi beats";
    ok poll_until(30, sub { $ua->get($p->base . '/phonehome-status?auto') ->content =~ /^PhoneHomeDown: 1$/m }),
       "$mode: late-pi goes down";
    my $mm = $ua->get($p->base . '/phonehome-status?metrics')->content;
    is scalar(() = $mm =~ /^phonehome_device_up\{device="late-pi"\}/mg), $down_listed, "$mode: the down device";
    is scalar(() = $mm =~ /^phonehome_device_up\{device="fine-pi"\}/mg), $up_listed, "$mode: the up device";
    like $mm, qr/^phonehome_devices\{state="up"\} 1$/m, "$mode: the counts stay";
}
my ($rc, $out) = PhTest::config_test('metrics-bad', phonehome_conf() . "PhoneHomeMetricsDevices Some\n");
isnt $rc, 0, 'PhoneHomeMetricsDevices Some stops httpd';
like $out, qr/PhoneHomeMetricsDevices: 'Some' is not All, NotUp or None/, 'naming the directive and the value';

done_testing();
