# Without shared_preload_libraries: the library is loaded on first use
# (CREATE EXTENSION, the triggers); there is no delivery worker, but every
# stage change is still queued, and worker_status() says the worker is not
# running.  This is also what `make installcheck` meets on a server whose
# configuration nobody touched.
use strict;
use warnings;
use FindBin;
use lib $FindBin::RealBin;
use PostgreSQL::Test::Cluster;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('without_preload');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE DATABASE tthc');

my ($rc, $out, $err) = $node->psql('tthc', 'SET client_min_messages = warning; CREATE EXTENSION zalo_tthc CASCADE');
is($rc, 0, 'CREATE EXTENSION works without shared_preload_libraries') or diag($err);

$node->safe_psql('tthc', q{
	INSERT INTO zalo_tthc.dossier (code, procedure_name, applicant_name, applicant_phone, due_at)
	VALUES ('000.00.04.H60-261205-0001', 'Cấp giấy phép xây dựng', 'Nguyễn Văn An', '0912345678',
			now() + interval '10 days');
	UPDATE zalo_tthc.dossier SET stage = 'received' WHERE code = '000.00.04.H60-261205-0001'});
is($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.dossier_event}), '2',
	'each stage change is recorded');
cmp_ok($node->safe_psql('tthc', q{SELECT count(*) FROM zalo_tthc.outbox}), '>=', 1,
	'and queued for the worker that a preloading server will run');
is($node->safe_psql('tthc', q{SELECT state FROM zalo_tthc.worker_status()}), 'not_running',
	'worker_status() says no worker runs');
is($node->safe_psql('tthc', q{LOAD 'zalo_tthc'; SHOW zalo_tthc.api_base_url}), 'https://openapi.zalo.me',
	'the other settings are defined');

$node->stop;
done_testing();
