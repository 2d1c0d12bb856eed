# Every directive is documented where users look: "httpd -L" gives each a
# one-line help string, and docs/mod_phonehome.md gives each an entry in
# httpd's own format (Description, Syntax, Default, Context, Status,
# Module).  The a2enmod files in conf/ make a configuration httpd accepts.
use strict;
use warnings FATAL => 'all';
use Apache::Test qw(-withtestmore);
use File::Spec;
use PhTest qw(config_test t_dir);

my $load = qq{LoadModule phonehome_module "\@Module\@"\n};

# httpd -L: "Name (mod_phonehome.c)", then the help and the context, each
# on a line that starts with a tab.
my ($status, $out) = config_test('directives-L', $load, args => '-L');
is $status, 0, 'httpd -L runs with the module loaded' or diag $out;
my %help;
my @lines = split /\n/, $out;
for my $i (0 .. $#lines) {
    next unless $lines[$i] =~ /^(\S+) \(mod_phonehome\.c\)$/;
    my $name = $1;
    my $help = $lines[$i + 1] // '';
    $help =~ s/^\t//;
    $help{$name} = $help;
}
my @listed = sort keys %help;
cmp_ok scalar(@listed), '>=', 17, 'httpd -L lists the module\'s directives'
    or diag $out;
for my $d (qw(PhoneHomeMaxAge PhoneHomeDevice PhoneHomeMailTo PhoneHomeStateDir)) {
    ok exists $help{$d}, "httpd -L lists $d";
}
for my $d (@listed) {
    like $d, qr/^PhoneHome/, "$d: named like the others";
    my $h = $help{$d};
    ok length($h) >= 10 && $h !~ /^Allowed in/, "$d: httpd -L shows a help string"
        or diag "help: '$h'";
}

# docs/mod_phonehome.md: one "### Name" section a directive, with a table
# of the six fields, each filled in.
my $doc = File::Spec->catfile(t_dir(), '..', 'docs', 'mod_phonehome.md');
open my $fh, '<', $doc or die "$doc: $!";
my $text = do { local $/; <$fh> };
close $fh;
my %section;
while ($text =~ /^### (\S+)\n(.*?)(?=^##|\z)/msg) {
    $section{$1} = $2;
}
my @fields = qw(Description Syntax Default Context Status Module);
for my $d (@listed) {
    my $sec = $section{$d};
    ok defined $sec, "$d has a section in docs/mod_phonehome.md" or next;
    for my $f (@fields) {
        like $sec, qr/^\| \Q$f\E \| \S.*\|$/m, "$d: the docs give its $f";
    }
    like $sec, qr/^\| Syntax \| `\Q$d\E[ `]/m, "$d: its Syntax starts with its name";
    like $sec, qr/^\| Context \| server config \|$/m, "$d: server config, as the module allows";
    like $sec, qr/^\| Module \| mod_phonehome \|$/m, "$d: Module is mod_phonehome";
    like $sec, qr/^    \Q$d\E\b/m, "$d: the docs show an example";
}
for my $d (sort grep { /^PhoneHome/ } keys %section) {
    ok exists $help{$d}, "documented $d is a directive httpd knows";
}

# conf/phonehome.load and conf/phonehome.conf, as a2enmod enables them,
# with the module where this test built it.
my $conf_dir = File::Spec->catdir(t_dir(), '..', 'conf');
my $a2enmod = '';
for my $f ('phonehome.load', 'phonehome.conf') {
    open my $c, '<', "$conf_dir/$f" or die "$conf_dir/$f: $!";
    $a2enmod .= do { local $/; <$c> };
}
like $a2enmod, qr{^LoadModule phonehome_module /usr/lib/apache2/modules/mod_phonehome\.so$}m,
    'phonehome.load loads the module from Debian\'s module directory';
like $a2enmod, qr/^# Depends: slotmem_shm$/m, 'phonehome.load makes a2enmod enable slotmem_shm';
like $a2enmod, qr{<Location /phonehome-status>\s+SetHandler phonehome-status\s+Require local\s+</Location>},
    'phonehome.conf guards the status page with Require local';
$a2enmod =~ s{/usr/lib/apache2/modules/mod_phonehome\.so}{"\@Module\@"};
$a2enmod .= qq{PhoneHomeStateDir "\@ServerRoot\@/state"\n};
($status, $out) = config_test('directives-a2enmod', $a2enmod);
is $status, 0, 'httpd accepts conf/phonehome.load and conf/phonehome.conf' or diag $out;

done_testing();
