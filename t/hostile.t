# Someone who wants to crash the server, fake a device, hide an outage, or
# get a script or a header into the status page, a mail, or a log: every
# attack against a real httpd, checking the answer, the table, every status
# format, the mail and the logs.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use IO::Socket::INET;
use JSON::PP ();
use LWP::UserAgent ();
use PhTest qw(phonehome_conf private_httpd status_json device_of beat poll_until);
use PhSmtp qw(start_smtp decode_subject);

my $smtp = start_smtp(name => 'hostile');
my $h = private_httpd('hostile', phonehome_conf() . <<"EOC");
PhoneHomeMailFrom pialert\@example.com
PhoneHomeMailTo me\@example.com
PhoneHomeSMTPServer 127.0.0.1:@{[$smtp->port]}
PhoneHomeMaxAge 2
PhoneHomeStartupGrace 0
PhoneHomeDigestWindow 0
# Undeclared test devices alert at their first beat, as in the first wave
# (arming has its own test in t/security.t).
PhoneHomeArmAfter 0
PhoneHomeMaxDevices 50
PhoneHomeRegisterLimit 30 60
PhoneHomeDevice named-pi MaxAge=5 Name="Shop \\\"<b>\\\" & caf\xc3\xa9 \\\\ 'x'"
<Location /server-status>
    SetHandler server-status
</Location>
EOC
my $b = $h->base;
my ($host, $port) = ('127.0.0.1', $h->{port});

sub raw {
    my ($req) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => $host, PeerPort => $port, Timeout => 10) or die $!;
    print $s $req;
    local $/;
    my $a = <$s> // '';
    return $a;
}

sub table {
    my $s = status_json($b);
    # Not the state: with MaxAge 2 that changes with time alone.
    return join "\n", map { join q{,}, map { $_ // q{-} } @$_{qw(name beats last_seen user_agent remote_ip)} } @{ $s->{devices} };
}

# A device whose text we control: everything an attacker may send in a
# beat that is accepted.
# (httpd itself refuses CR, LF and other control characters in a header
# but a tab; bytes that are not UTF-8 pass.)
my $ua_wire = qq{<script>alert(1)</script>"'&\\ \t[31m \xff\xfe X-Injected: 1};
is beat('/raspberrypiPhoneHome/victim-pi?boot=abc-123&up=5&t=1', base => $b,
        headers => { 'User-Agent' => $ua_wire })->code, 200, 'a beat with a hostile User-Agent is accepted';
my $before = table();

# --- Refused: header and line injection, traversal, NUL, overlong input --
my @bad = (
    [ "/raspberrypiPhoneHome/evil%0d%0aSubject:%20pwned", 400, 'CRLF in the name' ],
    [ "/raspberrypiPhoneHome?device=evil%0aBcc:x\@y", 400, 'LF in device=' ],
    [ "/raspberrypiPhoneHome/%3Cimg%20src=x%3E", 400, 'markup in the name' ],
    [ "/raspberrypiPhoneHome/..%2f..%2fetc%2fpasswd", 404, 'encoded slashes (httpd refuses them itself)' ],
    [ "/raspberrypiPhoneHome/../../etc/passwd", undef, 'dot segments are resolved by httpd before us' ],
    [ "/raspberrypiPhoneHome?device=a%00b", 400, 'a NUL byte' ],
    [ "/raspberrypiPhoneHome/victim-pi?boot=" . ('a' x 37), 400, 'an overlong boot id' ],
    [ "/raspberrypiPhoneHome/victim-pi?boot=%3Cscript%3E", 400, 'markup in the boot id' ],
    [ "/raspberrypiPhoneHome/victim-pi?t=" . ('9' x 400), 400, 'a 400-digit number' ],
    [ "/raspberrypiPhoneHome/victim-pi?up=1e308", 400, 'an exponent' ],
    [ "/raspberrypiPhoneHome/victim-pi?seq=-1", 400, 'a negative counter' ],
    # Bytes %80-%FF: UTF-8, overlong and stray bytes, in every field.
    [ "/raspberrypiPhoneHome/caf%C3%A9-pi", 400, 'UTF-8 in the path name' ],
    [ "/raspberrypiPhoneHome?device=%FF%FEpi", 400, 'stray bytes in device=' ],
    [ "/raspberrypiPhoneHome?device=%C0%AE%C0%AEpi", 400, 'an overlong UTF-8 dot in device=' ],
    [ "/raspberrypiPhoneHome/victim-pi?boot=abc%80", 400, 'a byte over 127 in the boot id' ],
    [ "/raspberrypiPhoneHome/victim-pi?up=1%FF", 400, 'a byte over 127 after a number' ],
    [ "/raspberrypiPhoneHome/victim-pi?seq=%B9", 400, 'a superscript digit' ],
);
for my $c (@bad) {
    my ($path, $want, $what) = @$c;
    my $r = beat($path, base => $b);
    if (defined $want) {
        is $r->code, $want, "$what: $want";
    }
    else {
        ok $r->code != 200 || $r->content !~ /passwd/, "$what: nothing outside the Location";
    }
}
is beat('/raspberrypiPhoneHome/victim-pi?' . ('x' x 9000), base => $b)->code, 414,
   'a request line over LimitRequestLine is refused by httpd';
like raw("GET /raspberrypiPhoneHome/victim-pi HTTP/1.1\r\nHost: x\r\nUser-Agent: " . ('A' x 9000) . "\r\n\r\n"),
     qr{^HTTP/1\.1 400}, 'a header over LimitRequestFieldSize is refused by httpd';
like raw("GET /raspberrypiPhoneHome/victim-pi HTTP/1.1\r\nHost: x\r\nUser-Agent: a\x01b\r\n\r\n"),
     qr{^HTTP/1\.1 400}, 'a control character in a header is refused by httpd';
like raw("POST /raspberrypiPhoneHome/victim-pi HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
         . "Content-Length: 999999999\r\nConnection: close\r\n\r\nup=1"),
     qr{^HTTP/1\.1 413}, 'a huge Content-Length is refused before reading';
like raw("POST /raspberrypiPhoneHome/victim-pi HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
         . "Content-Length: 6\r\nConnection: close\r\n\r\nup=1\x00\x00"),
     qr{^HTTP/1\.1 400}, 'a NUL in a form body is refused';
like raw("POST /raspberrypiPhoneHome HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
         . "Content-Length: 21\r\nConnection: close\r\n\r\ndevice=victim\xff\xfe&up=1"),
     qr{^HTTP/1\.1 400}, 'raw bytes over 127 in a form body are refused';
is table(), $before, 'no refused request changed the table';
is beat('/raspberrypiPhoneHome/spare-pi?%FF%FE=%80&x%C3%A9=1', base => $b)->code, 200,
   'unknown keys with bytes over 127 are ignored';
is beat('/raspberrypiPhoneHome/spare-pi?' . join('&', map { "k$_=v" } 1 .. 800), base => $b)->code, 200,
   'hundreds of unknown keys are ignored';

# --- Flooding the table with new names ----------------------------------
my %codes;
$codes{ beat("/raspberrypiPhoneHome/flood-$_", base => $b)->code }++ for 1 .. 60;
ok $codes{429}, 'a flood of new names from one address meets 429';
my $n = scalar @{ status_json($b)->{devices} };
ok $n <= 50, "and the table holds at most PhoneHomeMaxDevices ($n)";
is device_of(status_json($b), 'victim-pi')->{beats}, 1, 'existing devices are not disturbed';

# --- Every output format, escaped -----------------------------------------
my $ua_get = LWP::UserAgent->new(timeout => 30);
my $json_text = $ua_get->get("$b/phonehome-status?json")->decoded_content;
my $json = eval { JSON::PP->new->decode($json_text) };
ok $json, 'JSON stays valid with hostile text' or diag $@;
my $stored = device_of($json, 'victim-pi')->{user_agent};
unlike $stored, qr/[\x00-\x1f\x7f]/, 'no control character is stored';
like $stored, qr/^<script>alert\(1\)<\/script>"'&\\ \?\[31m \?\? X-Injected: 1$/,
     "control characters and invalid UTF-8 became '?' ($stored)";
unlike $json_text, qr/<script>/, 'no raw markup in the JSON text';
my $html = $ua_get->get("$b/phonehome-status")->decoded_content;
unlike $html, qr/<script>|<img/, 'no markup in the HTML page';
like $html, qr/&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&#39;&amp;/, 'escaped in HTML';
my $auto = $ua_get->get("$b/phonehome-status?auto")->decoded_content;
ok !grep({ !/^[A-Za-z0-9\[\]]+: [^\r\n]*$/ } split /\n/, $auto), 'every ?auto line is one Key: value line';
unlike $auto, qr/^X-Injected/m, 'no line of its own for injected text';
my $m = $ua_get->get("$b/phonehome-status?metrics")->decoded_content;
ok !grep({ !/^(#.*|[a-z_]+(\{([a-z_]+="([^"\\\n]|\\.)*",?)*\})? -?[\d.]+)$/ } split /\n/, $m),
   'every metrics line parses';
my $ss = $ua_get->get("$b/server-status")->decoded_content;
unlike $ss, qr/<script>/, '/server-status escapes too';

# --- Mail and logs ----------------------------------------------------------
my $named = "Shop \"<b>\" & caf\x{e9} \\ 'x'";   # characters
my $named_utf8 = "Shop \"<b>\" & caf\xc3\xa9 \\ 'x'";  # its UTF-8 bytes
# named-pi is declared, so it goes down unheard MaxAge after the start,
# perhaps in one digest with the victim; after its beat it has mails of
# its own (Good, then Error), its MaxAge (5) keeping it out of the flood
# devices' digest (they went down 2 s after their beats, just above).
ok poll_until(20, sub { (device_of(status_json($b), 'victim-pi') // {})->{state} eq 'down' }), 'the victim goes down';
is beat('/raspberrypiPhoneHome/named-pi', base => $b)->code, 200, 'a device with a hostile Name= beats';
is device_of(status_json($b), 'named-pi')->{display}, $named_utf8, 'its Name= is shown exactly in JSON';
ok poll_until(20, sub { (device_of(status_json($b), 'named-pi') // {})->{state} eq 'down' }), 'and the named device';
ok poll_until(20, sub {
    open my $f, '<', $h->dir . '/state/events.log' or return 0;
    grep { /"device":"named-pi"/ && /"event":"down"/ } <$f>;
}), 'events.log has the named device going down';
my @mails = $smtp->wait_mails(1, 30);
my ($mail) = grep { ($_->{body} // '') =~ /Device: victim-pi/ } @mails;
ok $mail, 'its Error mail arrives';
my %hdr = map { lc $_->[0] => 1 } @{ $mail->{header_list} };
ok !$hdr{'x-injected'} && !$hdr{bcc}, 'no header was injected';
unlike $mail->{raw}, qr/<script>/, 'the User-Agent is not in the mail';
unlike $mail->{raw}, qr/(?<!\r)\n/, 'CRLF line ends only';
open my $ev, '<', $h->dir . '/state/events.log' or die;
my @lines = <$ev>;
ok @lines > 0, 'events.log has lines';
my $bad = grep { !eval { JSON::PP->new->decode($_); 1 } } @lines;
is $bad, 0, 'every events.log line is valid JSON';
my ($named_ev) = map { JSON::PP->new->decode($_) } grep { /"device":"named-pi"/ } @lines;
is $named_ev->{display}, $named_utf8, 'quotes, markup, a backslash and UTF-8 in Name= survive events.log exactly';
my $named_mail;
ok poll_until(30, sub {
    ($named_mail) = grep { decode_subject($_->{headers}{subject} // '') =~ /^Error : Shop/ } $smtp->mails;
}), 'the named device has an Error mail of its own';
is decode_subject($named_mail->{headers}{subject} // ''), "Error : $named", 'its subject decodes to the Name= exactly';
unlike $named_mail->{raw_headers}, qr/[\x80-\xff]/, 'its headers are 7-bit (RFC 2047)';
like $named_mail->{body}, qr/^Shop "<b>" & caf\xc3\xa9 \\ 'x' is now in state: Error\r?$/m,
     'its body names it as UTF-8 text, unchanged (text/plain)';
my $log = $h->log;
unlike $log, qr/<script>|X-Injected/, 'nothing a device sent reaches the error log';
ok !grep({ /[\x00-\x08\x0b-\x1f\x7f]/ } split /\n/, $log), 'no control characters in the error log';

$h->stop;
$smtp->stop;
done_testing();
