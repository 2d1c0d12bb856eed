# PhoneHomeBeatTo (issue 15 item 6), the plain kinds and the directive:
# a healthchecks-style ping URL and an Uptime Kuma push URL (GET with its
# query) receive this server's beat at the every= cadence, the status page
# shows each target in all four formats, and bad lines stop httpd with a
# message naming the directive.  The signed beats between two servers that
# watch each other are t/beatto.t's.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use Apache::TestRequest qw(GET);
use File::Path qw(make_path);
use PhTest qw(phonehome_conf private_httpd status_json poll_until config_test
              t_dir);
use PhHttp qw(start_http);

# --- 1. Two plain targets, every second --------------------------------
my $hc = start_http(name => 'beatto-hc');
my $kuma = start_http(name => 'beatto-kuma');
my $dead = PhTest::free_port();         # nobody listens: every beat fails
my $hc_url = $hc->url . '/ping/0b5e3a2c-1111-4222-8333-444455556666';
my $kuma_url = $kuma->url . '/api/push/Tok3nTok3n?status=up&msg=OK&ping=';
my $h = private_httpd('beatto-ping', phonehome_conf() . <<"EOC");
PhoneHomeBeatTo $hc_url every=1
PhoneHomeBeatTo "$kuma_url" every=2
PhoneHomeBeatTo http://127.0.0.1:$dead/nobody every=1
EOC

my @hc = $hc->wait_requests(6, 60);
cmp_ok scalar @hc, '>=', 6, 'the ping URL receives beats';
is $_->{method}, 'GET', 'each a GET' for @hc[0, 5];
is $hc[0]{path}, '/ping/0b5e3a2c-1111-4222-8333-444455556666',
   'of the URL as written, nothing added';
# Never faster than every=: six beats due a second apart span 5 s, less
# what the first one was late (a tick, 0.25 s).
my $span = $hc[5]{time} - $hc[0]{time};
cmp_ok $span, '>=', 4.5, sprintf('six beats span %.1f s: the cadence of every=1', $span);
my @k = $kuma->wait_requests(2, 60);
cmp_ok scalar @k, '>=', 2, 'the Uptime Kuma push URL receives beats';
is $k[0]{path}, '/api/push/Tok3nTok3n?status=up&msg=OK&ping=', 'with its query, as written';
cmp_ok $k[1]{time} - $k[0]{time}, '>=', 1.5, 'every=2 beats every two seconds';

# The status page: each target, its counts and the last error.
my $b = $h->base;
my $j;
ok poll_until(30, sub {
    $j = status_json($b);
    $j->{beat_to} && $j->{beat_to}[2]{failures} >= 2 && $j->{beat_to}[0]{sent} >= 1;
}), 'the status page counts beats and failures in a row';
my @t = @{ $j->{beat_to} };
is scalar @t, 3, 'one entry a PhoneHomeBeatTo line';
is $t[0]{target}, $hc->url . '/...', 'a ping URL is shown up to its host (its path is its secret)';
is $t[0]{every}, 1, 'every=';
is $t[0]{failures}, 0, 'a good target has no failures';
ok $t[0]{last_success}, 'and a last success';
like $t[2]{last_error}, qr/\S/, 'a dead target has its last error' or diag explain $t[2];
ok !defined $t[2]{last_success}, 'and no success';
my $page = '';
for my $q ('', '?auto', '?json', '?metrics') {
    my $res = PhTest::_ua()->get("$b/phonehome-status$q");
    $page .= $res->decoded_content;
}
unlike $page, qr/0b5e3a2c|Tok3n/, 'no format shows a ping URL\'s secret';
my $auto = PhTest::_ua()->get("$b/phonehome-status?auto")->decoded_content;
like $auto, qr/^PhoneHomeBeatTo: 3$/m, '?auto: the number of targets';
like $auto, qr/^BeatTo\[0\]Sent: [1-9]\d*$/m, '?auto: BeatTo[i]Sent';
like $auto, qr/^BeatTo\[2\]Failures: [1-9]\d*$/m, '?auto: BeatTo[i]Failures';
like $auto, qr/^BeatTo\[2\]LastError: \S/m, '?auto: BeatTo[i]LastError';
like $auto, qr/^BeatTo\[0\]LastSuccess: \d+$/m, '?auto: BeatTo[i]LastSuccess';
my $m = PhTest::_ua()->get("$b/phonehome-status?metrics")->decoded_content;
like $m, qr/^phonehome_beat_to_sent_total\{target="http:\/\/127\.0\.0\.1:\d+\/\.\.\."\} [1-9]/m,
     '?metrics: phonehome_beat_to_sent_total';
like $m, qr/^phonehome_beat_to_failures\{target="http:\/\/127\.0\.0\.1:$dead\/\.\.\."\} [1-9]/m,
     '?metrics: phonehome_beat_to_failures';
like $m, qr/^phonehome_beat_to_last_success_timestamp_seconds\{/m, '?metrics: phonehome_beat_to_last_success_timestamp_seconds';
like $m, qr/^phonehome_beat_to_held_total\{/m, '?metrics: phonehome_beat_to_held_total';
{
    my $file = $h->dir . '/metrics.txt';
    open my $fh, '>', $file or die "$file: $!";
    print $fh $m;
    close $fh;
    my $out = `promtool check metrics < "$file" 2>&1`;
    is $?, 0, 'promtool check metrics accepts the beat_to series' or diag $out;
}
my $html = PhTest::_ua()->get("$b/phonehome-status")->decoded_content;
like $html, qr/Beats to <b>http:\/\/127\.0\.0\.1:$dead\/\.\.\.<\/b> every 1 s: 0 sent, 0 held back, \d+ failed in a row; last success never; last error/,
     'HTML: each target in words';
# A failing target is logged once, not at every beat.
my $log = $h->log;
my $n = () = $log =~ /PH00171: PhoneHomeBeatTo: beat to http:\/\/127\.0\.0\.1:$dead\/\.\.\. failed/g;
is $n, 1, 'PH00171 once for a target that keeps failing (at most once a minute)' or diag $log;
$h->stop;

# --- 2. Startup errors name the directive ---------------------------------
my $dir = t_dir() . '/private/beatto-bad';
make_path($dir);
open my $fh, '>', "$dir/good.key" or die;
print $fh 'be' x 32, "\n";
close $fh;
chmod 0600, "$dir/good.key";
open $fh, '>', "$dir/open.key" or die;
print $fh 'be' x 32, "\n";
close $fh;
chmod 0644, "$dir/open.key";
my @bad = (
    ['ftp://example.com/ping', qr/PhoneHomeBeatTo: 'ftp:\/\/example\.com\/ping' is not an http:\/\/ or https:\/\/ URL/],
    ['http:///nohost', qr/PhoneHomeBeatTo: 'http:\/\/\/nohost' names no host/],
    ['http://127.0.0.1/ every=0', qr/PhoneHomeBeatTo: every=: '0' is not a whole number from 1 to 86400/],
    ['http://127.0.0.1/ every=86401', qr/PhoneHomeBeatTo: every=: '86401' is not a whole number from 1 to 86400/],
    ['http://127.0.0.1/ every=soon', qr/PhoneHomeBeatTo: every=: 'soon' is not a whole number/],
    ['http://127.0.0.1/ device=-bad', qr/PhoneHomeBeatTo: device=-bad: /],
    ['http://127.0.0.1/ device=a/b', qr/PhoneHomeBeatTo: device=a\/b: /],
    ["http://127.0.0.1/ key-file=$dir/missing.key", qr/PhoneHomeBeatTo: key-file=\S*missing\.key: /],
    ["http://127.0.0.1/ key-file=$dir/open.key", qr/PhoneHomeBeatTo: key-file=\S*open\.key: .*(group|world|mode)/],
    ['http://127.0.0.1/ colour=blue', qr/PhoneHomeBeatTo: 'colour=blue' is not every=, key-file= or device=/],
    ['', qr/PhoneHomeBeatTo: needs a URL/],
);
for my $c (@bad) {
    my ($line, $want) = @$c;
    my ($st, $out) = config_test('beatto-bad', phonehome_conf() . "PhoneHomeBeatTo $line\n");
    isnt $st, 0, "PhoneHomeBeatTo $line: httpd does not start";
    like $out, $want, "PhoneHomeBeatTo $line: the message names the directive and the value"
        or diag $out;
}
my ($st, $out) = config_test('beatto-bad', phonehome_conf()
    . "PhoneHomeBeatTo http://127.0.0.1/ every=60 key-file=$dir/good.key device=srv-a\n");
is $st, 0, 'a good line with every option is accepted' or diag $out;
# A signed beat without device= is for the ServerName, which must be a name.
($st, $out) = config_test('beatto-bad', phonehome_conf()
    . "ServerName \"no name\"\nPhoneHomeBeatTo http://127.0.0.1/ key-file=$dir/good.key\n");
isnt $st, 0, 'a signed beat whose ServerName is no device name: httpd does not start';
like $out, qr/PH00176: PhoneHomeBeatTo http:\/\/127\.0\.0\.1\/...: the ServerName .* is no device name .*give device=/,
     'PH00176 says to give device=' or diag $out;
unlike $out, qr/bebebebe/, 'no message shows the key';

done_testing;
