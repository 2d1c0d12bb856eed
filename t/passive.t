# PhoneHomePassive: requests the server handles anyway count as beats for a
# device when they match an expression (ap_expr) - a Pi that already
# fetches a file every minute needs no client.  Static files, an
# expression on the path and one on the client's address; the device goes
# up, down (with its Error mail) and back; bad directives stop httpd.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Path qw(make_path);
use LWP::UserAgent;
use PhTest qw(phonehome_conf private_httpd status_json device_of poll_until config_test beat);
use PhSmtp qw(start_smtp);

my $smtp = start_smtp(name => 'passive');
my $docs = PhTest::t_dir() . '/private/passive/htdocs';
make_path("$docs/data");
for my $f ('data/feed.txt', 'other.txt') {
    open my $fh, '>', "$docs/$f" or die $!;
    print $fh "prices\n";
    close $fh;
}
my $h = private_httpd('passive', phonehome_conf() . <<"EOC");
DocumentRoot "\@ServerRoot\@/htdocs"
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeMaxAge 2
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
PhoneHomeAutoRegister Off
# The Pi fetches its file; a partner's webhook calls from its own network.
PhoneHomePassive shop-feed "%{REQUEST_URI} == '/data/feed.txt'"
PhoneHomePassive partner-hook "%{REQUEST_URI} =~ m#^/api/ingest# && -R '10.0.0.0/8'"
PhoneHomeDevice partner-hook Name="Partner webhook" MaxAge=600
EOC
my $b = $h->base;
my $ua = LWP::UserAgent->new(timeout => 10);
sub get { $ua->get($b . shift)->code }
sub dev { device_of(status_json($b), shift) // {} }

is dev('shop-feed')->{state}, 'unknown', 'the passive device is declared: listed before any request';
is dev('shop-feed')->{beats}, 0, 'with no beats';
is dev('partner-hook')->{display}, 'Partner webhook', 'a PhoneHomeDevice line adds options to a passive device';
is beat('/raspberrypiPhoneHome/shop-feed', base => $b)->code, 200,
   'and it is a declared device for ordinary beats too (AutoRegister Off)';
ok poll_until(20, sub { dev('shop-feed')->{state} eq 'down' }), 'silent for MaxAge: down';
sub subjects { my $re = shift; scalar grep { ($_->{headers}{subject} // '') =~ $re } $smtp->mails }
ok poll_until(30, sub { subjects(qr/^Error : shop-feed/) == 1 }), 'its Error mail';

is get('/other.txt'), 200, 'another file is served';
is get('/api/ingest'), 404, 'the webhook path from 127.0.0.1 (not 10.0.0.0/8)';
is dev('partner-hook')->{beats}, 0, 'neither counts for the partner';
is dev('shop-feed')->{state}, 'down', 'nor for the shop';

is get('/data/feed.txt'), 200, 'the Pi fetches its file: the file is served as always';
ok poll_until(10, sub { dev('shop-feed')->{state} eq 'up' }), 'and the device is up';
like dev('shop-feed')->{remote_ip} // '', qr/^127\.0\.0\.1$/, 'the address it came from is shown';
ok poll_until(30, sub { subjects(qr/^Good : shop-feed/) == 1 }), 'Good mail: it is back'
    or diag join "\n", map { $_->{headers}{subject} // '' } $smtp->mails;

# Many fetches in one second are one beat: the lock is taken at most once
# a second by a process (one keep-alive connection: one process).
# They start in a second after the last beat's (the once-a-second rule
# would fold them into it otherwise).
ok poll_until(5, sub { time > (dev('shop-feed')->{last_seen} // time) }),
   'a second after the last beat';
my $b0 = dev('shop-feed')->{beats};
my $ka = LWP::UserAgent->new(timeout => 10, keep_alive => 1);
my $t0 = time;
$ka->get("$b/data/feed.txt") for 1 .. 20;
my $secs = time - $t0 + 1;          # distinct seconds the fetches spanned
my $b1 = dev('shop-feed')->{beats};
ok $b1 > $b0, "20 quick fetches count ($b0 -> $b1)";
ok $b1 - $b0 <= $secs, "at most one beat a second ($secs s)" or diag "$b0 -> $b1";

ok poll_until(20, sub { dev('shop-feed')->{state} eq 'down' }), 'the fetches stop: down after MaxAge';
ok poll_until(30, sub { subjects(qr/^Error : shop-feed/) == 2 }), 'and its second Error mail arrives';
is dev('partner-hook')->{beats}, 0, 'the partner was never heard (its rule never matched)';
unlike $h->log, qr/PH00201|PH00203/, 'no rule failed';
$h->stop;

# --- Bad directives stop httpd, naming the directive ----------------------
my $load = qq{LoadModule phonehome_module "\@Module\@"\n};
my $key = PhTest::t_dir() . '/private/passive.key';
open my $kf, '>', $key or die $!;
print $kf 'ab' x 32, "\n";
close $kf;
chmod 0600, $key;
my @bad = (
    [ qq{PhoneHomePassive shop-feed "%{REQUEST_URI} =="\n},
      qr/PhoneHomePassive shop-feed: cannot parse the expression/, 'a broken expression' ],
    [ qq{PhoneHomePassive "bad name!" "true"\n},
      qr/PhoneHomePassive: 'bad name!': /, 'a name that is not a device name' ],
    [ qq{PhoneHomePassive shop-feed\n},
      qr/PhoneHomePassive takes two arguments/, 'no expression' ],
    [ qq{PhoneHomeDevice vault Key=$key\nPhoneHomePassive vault "true"\n},
      qr/PH00200: PhoneHomePassive vault \([^)]*\): the device has Key=/, 'a device whose beats must be signed' ],
);
my $n = 0;
for my $c (@bad) {
    my ($status, $out) = config_test('passive-bad-' . ++$n, $load . $c->[0]);
    isnt $status, 0, "$c->[2]: httpd refuses to start";
    like $out, $c->[1], "$c->[2]: the message says why" or diag $out;
}

done_testing();
