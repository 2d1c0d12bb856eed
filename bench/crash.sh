#!/bin/sh
# Children that crash: a private httpd (StartServers 3, MPMS="worker
# prefork") has one child killed with SIGKILL every second for DURATION
# seconds while BEATERS devices beat and STOPPERS devices (MaxAge=2) fall
# silent one after another; for each stopper, how long after its deadline
# (last beat sent + MaxAge) the status page showed it down, and when its
# Error mail reached a local SMTP server (t/smtp_sink.py).  Also counts
# false alarms and lost or doubled alerts.
#
#   bench/crash.sh            (after make; MPMS="worker prefork" DURATION=60)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
mpms=${MPMS:-"worker prefork"}
duration=${DURATION:-60}
stoppers=${STOPPERS:-12}
beaters=${BEATERS:-8}
port=${PORT:-8794}
smtp_port=${SMTP_PORT:-8795}
sink_pid=
trap 'bench_cleanup; [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null; true' EXIT
bench_machine
for mpm in $mpms; do
    dir=$(mktemp -d /tmp/phonehome-bench.XXXXXX)
    bench_smtp_sink "$dir" "$smtp_port"
    [ "$(id -u)" -eq 0 ] && chown -R www-data "$dir/mail"
    devs=
    k=1
    while [ "$k" -le "$stoppers" ]; do
        devs="$devs
PhoneHomeDevice stop-$k MaxAge=2"
        k=$((k + 1))
    done
    BENCH_MPM=$mpm bench_start "$dir" "$port" 1000 "StartServers 3
PhoneHomeMailFrom bench@example.com
PhoneHomeMailTo me@example.com
PhoneHomeSMTPServer 127.0.0.1:$smtp_port
PhoneHomeSMTPStartTLS Off
PhoneHomeDigestWindow 0
PhoneHomeStartupGrace 0
PhoneHomeMaxAge 6
$devs"
    echo "== mpm_$mpm: one child killed every second for $duration s, $stoppers devices fall silent"
    perl - "$port" "$(cat "$dir/logs/httpd.pid")" "$dir/mail" "$duration" "$stoppers" "$beaters" <<'PERL'
use strict;
use warnings;
use LWP::UserAgent;
use JSON::PP;
use Time::HiRes qw(time sleep);
my ($port, $parent, $maildir, $duration, $nstop, $nbeat) = @ARGV;
my $ua = LWP::UserAgent->new(timeout => 10, keep_alive => 0);
my $base = "http://127.0.0.1:$port";
my @stop = map { "stop-$_" } 1 .. $nstop;
my @beat = map { "beater-$_" } 1 .. $nbeat;
my $every = $duration / ($nstop + 1);
sub kids {
    opendir my $dh, '/proc' or die;
    my @k;
    for (grep { /^\d+$/ } readdir $dh) {
        open my $fh, '<', "/proc/$_/stat" or next;
        my $s = <$fh> // next;
        push @k, $_ if $s =~ /\)\s+\S+\s+(\d+)/ && $1 == $parent;
    }
    return @k;
}
my (%last, %down, $kills);
my $t0 = time;
my ($next_kill, $next_beat) = ($t0 + 1, $t0);
while (time < $t0 + $duration + 30 && keys %down < @stop) {
    my $now = time;
    if ($now >= $next_beat) {
        $next_beat = $now + 0.3;
        for my $i (0 .. $#stop) {
            next if $now >= $t0 + $every * ($i + 1);
            my $sent = time;
            $last{$stop[$i]} = $sent
                if $ua->get("$base/raspberrypiPhoneHome/$stop[$i]")->code == 200;
        }
        $ua->get("$base/raspberrypiPhoneHome/$_") for @beat;
    }
    if ($now >= $next_kill && $now < $t0 + $duration) {
        $next_kill = $now + 1;
        my @k = kids();
        $kills++ if @k && kill 'KILL', $k[int rand @k];
    }
    my $res = $ua->get("$base/phonehome-status?json");
    if ($res->is_success) {
        my $seen = time;
        my $j = eval { decode_json($res->decoded_content) } or next;
        for my $d (@{ $j->{devices} }) {
            $down{$d->{name}} //= $seen if $d->{state} eq 'down';
        }
    }
    sleep 0.1;
}
# The mails: wait up to 30 s for one Error per stopper.
my %mail;
my $until = time + 30;
while (time < $until) {
    %mail = ();
    opendir my $dh, $maildir or die;
    for my $f (grep { /\.eml$/ } readdir $dh) {
        open my $fh, '<', "$maildir/$f" or next;
        local $/;
        my $m = <$fh>;
        next unless $m =~ /^Subject: Error/m;
        my $at = (Time::HiRes::stat("$maildir/$f"))[9];
        for my $d (@stop, @beat) {
            push @{ $mail{$d} }, $at if $m =~ /\b\Q$d\E\b/;
        }
    }
    last unless grep { !$mail{$_} } @stop;
    sleep 0.2;
}
my (@det, @ml);
my ($lost, $double, $false) = (0, 0, 0);
for my $d (@stop) {
    if (!$down{$d}) { $lost++; next; }
    push @det, $down{$d} - ($last{$d} + 2);
    if ($mail{$d}) {
        my ($first) = sort { $a <=> $b } @{ $mail{$d} };
        push @ml, $first - ($last{$d} + 2);
        $double++ if @{ $mail{$d} } > 1;
    }
    else { $lost++; }
}
$false = grep { $down{$_} || $mail{$_} } @beat;
sub stats {
    my @v = sort { $a <=> $b } @_;
    return 'none' unless @v;
    return sprintf 'median %.2f s, max %.2f s over %d', $v[int($#v / 2)], $v[-1], scalar @v;
}
printf "kills: %d\ndetection after the deadline (status page, polled every 0.1 s): %s\n", $kills // 0, stats(@det);
printf "Error mail accepted after the deadline: %s\n", stats(@ml);
printf "lost: %d, doubled mails: %d, false alarms: %d\n", $lost, $double, $false;
PERL
    grep -cE 'PH00160: detection' "$dir/logs/error_log" | sed 's/^/detection lease takes: /'
    bench_stop "$dir"
    kill "$sink_pid" 2>/dev/null || true
    wait "$sink_pid" 2>/dev/null || true
    sink_pid=
done
