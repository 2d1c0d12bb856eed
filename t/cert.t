# Identity from TLS client certificates: PhoneHomeDevice ... Cert="CN".
# A private httpd with mod_ssl (https on a port of its own, SSLVerifyClient
# optional, a CA made here by openssl); the real client sends its
# certificate with --cert/--key.  Only a verified certificate with the
# declared subject CN makes a beat count; with Key= as well, both must hold.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use IPC::Open3;
use PhTest qw(phonehome_conf private_httpd status_json device_of client_bin free_port
              base_conf config_test);
use PhTls qw(make_ca make_cert);

my ($mods) = do {
    open my $fh, '<', base_conf() or die;
    local $/;
    <$fh> =~ m{LoadModule mpm_\w+ (\S+)/mod_mpm_\w+\.so};
};
my $ca     = make_ca('cert-ca');
my $server = make_cert('cert-server', san => 'IP:127.0.0.1', ca => $ca);
my $vault  = make_cert('cert-vault', san => 'DNS:vault-pi', cn => 'vault-pi', ca => $ca, client => 1);
my $other  = make_cert('cert-other', san => 'DNS:other-pi', cn => 'other-pi', ca => $ca, client => 1);
my $both   = make_cert('cert-both', san => 'DNS:both-pi', cn => 'both-pi', ca => $ca, client => 1);
my $rogue  = make_cert('cert-rogue', san => 'DNS:vault-pi', cn => 'vault-pi');   # self-signed
my $kfile  = PhTest::t_dir() . '/tls/cert-both.hmac';
{
    open my $fh, '>', $kfile or die;
    print $fh 'c0de' x 16, "\n";
    close $fh;
    chmod 0600, $kfile;
}

my $tls = free_port();
my $h = private_httpd('cert', phonehome_conf() . <<"EOC");
LoadModule ssl_module $mods/mod_ssl.so
Listen 127.0.0.1:$tls https
<VirtualHost 127.0.0.1:$tls>
    SSLEngine on
    SSLCertificateFile $server->{cert}
    SSLCertificateKeyFile $server->{key}
    SSLCACertificateFile $ca->{cert}
    SSLVerifyClient optional
    SSLVerifyDepth 2
</VirtualHost>
PhoneHomeMaxAge 60
PhoneHomeAutoRegister Off
PhoneHomeDevice vault-pi Cert="vault-pi"
PhoneHomeDevice both-pi Cert="both-pi" Key=$kfile
EOC
my $https = "https://127.0.0.1:$tls/raspberrypiPhoneHome";

# The real client: (exit status, what it printed).
sub client {
    my @args = @_;
    my $pid = open3(my $in, my $out, undef, client_bin(), '-S', '--max-time', 20, @args);
    close $in;
    local $/;
    my $text = <$out> // '';
    waitpid $pid, 0;
    return ($? >> 8, $text);
}
sub dev { device_of(status_json($h->base), shift) // {} }
sub beats { dev(shift)->{beats} // 0 }

my ($st, $out) = client('--cacert', $ca->{cert}, '--cert', $vault->{cert}, '--key', $vault->{key},
                        "$https/vault-pi");
is $st, 0, 'vault-pi with its certificate: accepted' or diag $out;
is beats('vault-pi'), 1, 'and counted';
is dev('vault-pi')->{state}, 'up', 'the device is up';

($st, $out) = client('--cacert', $ca->{cert}, "$https/vault-pi");
isnt $st, 0, 'without a certificate: refused';
like $out, qr/403.*device vault-pi needs a client certificate the server verifies \(NONE\)/,
     'saying that a verified certificate is needed';

($st, $out) = client('--cacert', $ca->{cert}, '--cert', $other->{cert}, '--key', $other->{key},
                     "$https/vault-pi");
isnt $st, 0, "another device's certificate: refused";
like $out, qr/403.*the client certificate is not device vault-pi's \(its subject CN is 'other-pi'\)/,
     'naming the CN it carries';

($st, $out) = client('--cacert', $ca->{cert}, '--cert', $rogue->{cert}, '--key', $rogue->{key},
                     "$https/vault-pi");
isnt $st, 0, 'a self-signed certificate with the right CN: refused (mod_ssl does not verify it)';

($st, $out) = client($h->base . '/raspberrypiPhoneHome/vault-pi');
isnt $st, 0, 'over plain http: refused';
like $out, qr/403.*device vault-pi beats only over https/, 'saying to use https';
is beats('vault-pi'), 1, 'none of these counted';

# Cert= and Key= together: the beat is signed and the certificate verified.
($st, $out) = client('--cacert', $ca->{cert}, '--cert', $both->{cert}, '--key', $both->{key},
                     '--key-file', $kfile, '--state-file', PhTest::t_dir() . '/tls/seq-both',
                     "$https/both-pi");
is $st, 0, 'both-pi signed and with its certificate: accepted' or diag $out;
($st, $out) = client('--cacert', $ca->{cert}, '--key-file', $kfile,
                     '--state-file', PhTest::t_dir() . '/tls/seq-both', "$https/both-pi");
isnt $st, 0, 'signed but without the certificate: refused';
($st, $out) = client('--cacert', $ca->{cert}, '--cert', $both->{cert}, '--key', $both->{key},
                     "$https/both-pi");
isnt $st, 0, 'the certificate but unsigned: refused';
is beats('both-pi'), 1, 'one beat counted';
unlike $h->log, qr/AH00052|Segmentation fault/, 'no child crashed';
$h->stop;

# Bad Cert= values stop httpd, naming the directive.
my $load = qq{LoadModule phonehome_module "\@Module\@"\n};
my ($s1, $o1) = config_test('cert-empty', $load . qq{PhoneHomeDevice x Cert=""\n});
isnt $s1, 0, 'an empty Cert=: httpd refuses to start';
like $o1, qr/PhoneHomeDevice: device 'x': Cert= needs the subject CN/, 'naming the directive and option';

done_testing();
