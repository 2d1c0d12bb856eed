package PhTls;
# Certificates for the TLS tests, made with the openssl command at test time
# (nothing secret or dated is kept in the tree).
#
#   my $ca   = make_ca('ca');
#   my $good = make_cert('good', san => 'DNS:localhost,IP:127.0.0.1', ca => $ca);
#   my $self = make_cert('self', san => 'IP:127.0.0.1');            # self-signed
#   my $old  = make_cert('old', san => 'IP:127.0.0.1', ca => $ca, days => -1);
#   $good->{cert}, $good->{key}: PEM files under t/tls/
use strict;
use warnings FATAL => 'all';

use Exporter 'import';
use File::Path qw(make_path);

use Apache::Test ();

our @EXPORT_OK = qw(make_ca make_cert tls_dir);

sub tls_dir {
    my $dir = Apache::Test::vars('t_dir') . '/tls';
    make_path($dir);
    return $dir;
}

sub _run {
    my (@cmd) = @_;
    my $out = `@cmd 2>&1`;
    die "@cmd:\n$out" if $?;
    return $out;
}

sub _key {
    my ($file) = @_;
    _run('openssl', 'genpkey', '-algorithm', 'EC', '-pkeyopt',
         'ec_paramgen_curve:P-256', '-out', $file);
}

# A self-signed CA: { cert, key }.
sub make_ca {
    my ($name) = @_;
    my $dir = tls_dir();
    my %c = (cert => "$dir/$name.pem", key => "$dir/$name.key");
    _key($c{key});
    _run('openssl', 'req', '-x509', '-new', '-key', $c{key}, '-out', $c{cert},
         '-days', 30, '-subj', "'/CN=$name test CA'",
         '-addext', "'basicConstraints=critical,CA:TRUE'",
         '-addext', "'keyUsage=critical,keyCertSign,cRLSign'");
    return \%c;
}

# A server certificate with subjectAltName $o{san} (and CN $o{cn}, default
# the first SAN's value), signed by $o{ca} or else self-signed, valid for
# $o{days} days (default 30; -1 gives one that has expired); client => 1
# makes a TLS client certificate instead.
sub make_cert {
    my ($name, %o) = @_;
    my $dir = tls_dir();
    my %c = (cert => "$dir/$name.pem", key => "$dir/$name.key");
    my $san = $o{san} or die "make_cert: san => is required";
    my ($cn) = $o{cn} // ($san =~ /^(?:DNS|IP):([^,]+)/);
    my $days = $o{days} // 30;
    _key($c{key});
    my $ext = "$dir/$name.ext";
    open my $fh, '>', $ext or die "$ext: $!";
    print $fh "subjectAltName=$san\nbasicConstraints=CA:FALSE\n"
            . "extendedKeyUsage=" . ($o{client} ? 'clientAuth' : 'serverAuth') . "\n";
    close $fh;
    if ($o{ca}) {
        _run('openssl', 'req', '-new', '-key', $c{key}, '-out', "$dir/$name.csr",
             '-subj', "'/CN=$cn'");
        _run('openssl', 'x509', '-req', '-in', "$dir/$name.csr", '-CA', $o{ca}{cert},
             '-CAkey', $o{ca}{key}, '-days', $days, '-extfile', $ext,
             '-out', $c{cert});
    } else {
        _run('openssl', 'req', '-x509', '-new', '-key', $c{key}, '-out', $c{cert},
             '-days', $days, '-subj', "'/CN=$cn'", '-addext', "'subjectAltName=$san'");
    }
    chmod 0644, $c{cert}, $c{key};
    return \%c;
}

1;
