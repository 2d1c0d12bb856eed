# Bad input: each gets a clear 4xx with a one-line plain-text reason, and
# the table is left exactly as it was.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use PhTest qw(status_json beat);

# The table without the fields that move on their own.
sub table {
    my $s = status_json();
    return join "\n", map {
        my $d = $_;
        join ',', map { "$_=" . ($d->{$_} // 'null') }
            qw(name state beats last_seen client_time boot_id uptime user_agent remote_ip);
    } @{ $s->{devices} };
}

ok beat('/raspberrypiPhoneHome/victim-pi?t=100&boot=aaaa&up=5')->code == 200, 'a device to disturb';
my $before = table();

my @bad = (
    # [ what, path, expected status, reason pattern, %options ]
    [ 'space in the name',       '/raspberrypiPhoneHome/bad%20name',         400, qr/device name/ ],
    [ 'CR LF in the name',       '/raspberrypiPhoneHome/bad%0d%0aX-Evil:1',  400, qr/device name/ ],
    [ 'LF in device=',           '/raspberrypiPhoneHome?device=a%0Ab',       400, qr/device name/ ],
    [ '< in the name',           '/raspberrypiPhoneHome/%3Cscript%3E',       400, qr/device name/ ],
    [ '64 characters',           '/raspberrypiPhoneHome/' . ('a' x 64),      400, qr/longer than 63/ ],
    [ 'leading dot',             '/raspberrypiPhoneHome/.hidden',            400, qr/start with/ ],
    [ 'leading dash',            '/raspberrypiPhoneHome/-rf',                400, qr/start with/ ],
    [ 'leading dot in device=',  '/raspberrypiPhoneHome?device=..',          400, qr/start with/ ],
    [ 'UTF-8 in the name',       '/raspberrypiPhoneHome/caf%C3%A9',          400, qr/device name/ ],
    [ 'encoded NUL in device=',  '/raspberrypiPhoneHome?device=a%00b',       400, qr/percent-encoding/ ],
    [ 'double-encoded name',     '/raspberrypiPhoneHome?device=a%252fb',     400, qr/device name/ ],
    [ 'bad escape',              '/raspberrypiPhoneHome?t=%zz',              400, qr/percent-encoding/ ],
    [ 'empty device=',           '/raspberrypiPhoneHome?device=',            400, qr/empty/ ],
    [ 'non-numeric t',           '/raspberrypiPhoneHome/victim-pi?t=abc',    400, qr/'t'/ ],
    [ 'negative t',              '/raspberrypiPhoneHome/victim-pi?t=-5',     400, qr/'t'/ ],
    [ 'huge t',                  '/raspberrypiPhoneHome/victim-pi?t=99999999999999999999', 400, qr/'t'/ ],
    [ 't beyond year 9999',      '/raspberrypiPhoneHome/victim-pi?t=253402300800', 400, qr/'t'/ ],
    [ 'non-numeric up',          '/raspberrypiPhoneHome/victim-pi?up=soon',  400, qr/'up'/ ],
    [ 'huge seq',                '/raspberrypiPhoneHome/victim-pi?seq=99999999999999999999', 400, qr/'seq'/ ],
    [ 'boot id with <',          '/raspberrypiPhoneHome/victim-pi?boot=%3Cb%3E', 400, qr/'boot'/ ],
    [ 'repeated t',              '/raspberrypiPhoneHome/victim-pi?t=1&t=2',  400, qr/twice/ ],
    [ 'bare number and t',       '/raspberrypiPhoneHome/victim-pi?1359860402&t=2', 400, qr/twice/ ],
    [ 'repeated device',         '/raspberrypiPhoneHome?device=a&device=b',  400, qr/repeated/ ],
    [ 'repeated boot',           '/raspberrypiPhoneHome/victim-pi?boot=a&boot=b', 400, qr/repeated/ ],
    [ 'key in query and body',   '/raspberrypiPhoneHome/victim-pi?up=1',     400, qr/repeated/,
      method => 'POST', body => 'up=2' ],
    [ 'body over 4 KiB',         '/raspberrypiPhoneHome/victim-pi',          413, qr/4096/,
      method => 'POST', body => 'up=1&pad=' . ('x' x 5000) ],
    [ 'body not a form',         '/raspberrypiPhoneHome/victim-pi',          415, qr/x-www-form-urlencoded/,
      method => 'POST', body => '{"up":1}', type => 'application/json' ],
    [ 'bad value in the body',   '/raspberrypiPhoneHome/victim-pi',          400, qr/'t'/,
      method => 'POST', body => 't=yesterday' ],
    [ 'PUT',                     '/raspberrypiPhoneHome/victim-pi',          405, qr/GET, HEAD or POST/,
      method => 'PUT', body => 't=1' ],
    [ 'DELETE',                  '/raspberrypiPhoneHome/victim-pi',          405, qr/GET, HEAD or POST/,
      method => 'DELETE' ],
    [ 'OPTIONS',                 '/raspberrypiPhoneHome/victim-pi',          405, qr/GET, HEAD or POST/,
      method => 'OPTIONS' ],
);

for my $case (@bad) {
    my ($what, $path, $status, $why, %o) = @$case;
    my $r = beat($path, %o);
    is $r->code, $status, "$what: $status";
    my $body = $r->content;
    like $body, $why, "$what: the reason says why";
    like $body, qr/\A[^\n]+\n\z/, "$what: one plain line";
    like $r->header('Content-Type') // '', qr{^text/plain}, "$what: text/plain";
    if ($status == 405) {
        is $r->header('Allow'), 'GET, HEAD, POST', "$what: Allow header";
    }
}

# Chunked body over the limit: no Content-Length to refuse early on.
{
    my $port = Apache::TestRequest::hostport();
    my ($host, $p) = split /:/, $port;
    require IO::Socket::INET;
    my $sock = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $p) or die $!;
    my $chunk = 'up=1&pad=' . ('x' x 3000);
    print $sock "POST /raspberrypiPhoneHome/victim-pi HTTP/1.1\r\nHost: $port\r\n"
        . "Content-Type: application/x-www-form-urlencoded\r\n"
        . "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n";
    printf $sock "%x\r\n%s\r\n", length $chunk, $chunk for 1 .. 2;
    print $sock "0\r\n\r\n";
    local $/;
    my $answer = <$sock>;
    like $answer, qr{^HTTP/1\.1 413}, 'chunked body over 4 KiB: 413';
}

is table(), $before, 'no refused beat changed the table';
done_testing();
