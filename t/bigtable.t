# A table larger than one chunk of the detection scan: the tick releases
# the table's lock between chunks of slots, and still sees every device go
# down and come back exactly once, with beats answered all the while.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use LWP::UserAgent ();
use PhTest qw(phonehome_conf private_httpd poll_until parallel_beats);
use PhSmtp qw(start_smtp decode_subject);

my $n = 2600;           # two full chunks of 1,024 and a part
my $clients = 4;

my $smtp = start_smtp(name => 'bigtable');
my $h = private_httpd('bigtable', phonehome_conf() . <<"EOC");
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeMaxAge 3
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 4
# Undeclared test devices alert at their first beat, as in the first wave
# (arming has its own test in t/security.t).
PhoneHomeArmAfter 0
PhoneHomeMaxDevices 3000
PhoneHomeRateLimit Off
PhoneHomeRegisterLimit Off
EOC
my $ua = LWP::UserAgent->new(timeout => 30);

sub auto {
    my $text = $ua->get($h->base . '/phonehome-status?auto')->decoded_content;
    return { map { /^([^:]+): (.*)$/ ? ($1 => $2) : () } split /\n/, $text };
}

# Beat every device once, from $clients keep-alive connections at once.
sub beat_all {
    my ($query) = @_;
    return parallel_beats($h->{port}, $clients,
                          map { "/raspberrypiPhoneHome/big-$_$query" } 0 .. $n - 1);
}

sub events {
    my ($what) = @_;
    open my $f, '<', $h->dir . '/state/events.log' or return {};
    my %seen;
    for (<$f>) {
        $seen{$1}++ if /"event":"$what".*"device":"(big-\d+)"/;
    }
    return \%seen;
}

# Devices named in digest (or single) mails of the given kind: a
# "Device: big-N" fact line in a digest with every device's facts, or a
# "big-N (<monitor>) (big-N): Last call ..." line in one too big for that
# (one line a device: 2,600 devices' facts are about 560 KiB, over the
# 256 KiB a mail may be).
sub mailed {
    my ($word) = @_;
    my $count = 0;
    for my $m ($smtp->mails) {
        my $subject = decode_subject($m->{headers}{subject} // '');
        next unless $subject =~ /^$word : /;
        $count += () = $m->{body} =~ /^(?:\s*Device: big-\d+\r?$|.*\(big-\d+\): )/mg;
    }
    return $count;
}

ok beat_all(''), "$n devices register, every beat answered 200";
my $auto = auto();
is $auto->{PhoneHomeDevices}, $n, "the table holds $n devices";

ok poll_until(60, sub { (auto()->{PhoneHomeDown} // 0) == $n }), "all $n go down";
ok poll_until(30, sub { scalar(keys %{ events('down') }) == $n }), 'events.log has a down event for each';
my $down = events('down');
is scalar(grep { $_ != 1 } values %$down), 0, 'and each exactly once';
ok poll_until(60, sub { mailed('Error') == $n }), "the Error mails name all $n devices"
    or diag 'mailed: ' . mailed('Error');

ok beat_all('?boot=b2'), 'they all come back';
ok poll_until(60, sub { (auto()->{PhoneHomeUp} // 0) == $n }), "all $n are up";
ok poll_until(30, sub { scalar(keys %{ events('up') }) == $n }), 'events.log has an up event for each';
is scalar(grep { $_ != 1 } values %{ events('up') }), 0, 'and each exactly once';

my ($largest) = sort { $b <=> $a } map { length($_->{raw_headers}) + length($_->{body}) } $smtp->mails;
cmp_ok $largest // 0, '<=', 256 * 1024, 'no mail over 256 KiB (PH_MAIL_PART_MAX)';

$auto = auto();
like $auto->{PhoneHomeLockUsecMax} // '', qr/^\d+$/, 'the longest hold of the lock is shown';
like $auto->{PhoneHomeTickUsecMax} // '', qr/^\d+$/, 'and the longest tick';

$h->stop;
$smtp->stop;
done_testing();
