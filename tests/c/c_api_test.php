<?php
// The C ABI from PHP through its FFI extension, as a PHP school-management system would call
// it: a selection of 30 honour pupils across districts on examples/pool.csv, the result read
// row by row and written to a CSV, and an error with its location.
// Usage: php -d ffi.enable=1 c_api_test.php LIBRARY SOURCE_DIR OUT_CSV
// Prints "selected N of M", one "ID GROUP RANK" line per selected nominee, then "ok".
declare(strict_types=1);

[$script, $library, $root, $out_csv] = $argv;

$kh = FFI::cdef(<<<'CDEF'
typedef struct kh_pool kh_pool;
typedef struct kh_criteria kh_criteria;
typedef struct kh_rules kh_rules;
typedef struct kh_spec kh_spec;
typedef struct kh_prepared kh_prepared;
typedef struct kh_result kh_result;
typedef int kh_status;
const char* kh_version(void);
const char* kh_status_name(kh_status status);
const char* kh_last_error(void);
size_t kh_last_error_line(void);
kh_status kh_pool_read_csv(const char* path, const char* id_column, kh_pool** out);
void kh_pool_free(kh_pool* pool);
kh_status kh_criteria_load(const char* path, kh_criteria** out);
kh_status kh_criteria_parse(const char* text, size_t len, const char* source, kh_criteria** out);
void kh_criteria_free(kh_criteria* criteria);
kh_status kh_rules_load(const char* path, kh_rules** out);
void kh_rules_free(kh_rules* rules);
kh_status kh_spec_new(kh_spec** out);
kh_status kh_spec_set_criteria(kh_spec* spec, const kh_criteria* criteria);
kh_status kh_spec_set_rules(kh_spec* spec, const kh_rules* rules);
kh_status kh_spec_set(kh_spec* spec, const char* key, const char* value);
void kh_spec_free(kh_spec* spec);
kh_status kh_prepare(const kh_spec* spec, const kh_pool* schema, kh_prepared** out);
kh_status kh_execute(const kh_prepared* prepared, const kh_pool* pool, kh_result** out);
void kh_prepared_free(kh_prepared* prepared);
kh_status kh_result_size(const kh_result* result, size_t* rows, size_t* selected);
kh_status kh_result_id(const kh_result* result, size_t i, const char** id);
kh_status kh_result_group(const kh_result* result, size_t i, const char** group);
kh_status kh_result_selected(const kh_result* result, size_t i, int* selected);
kh_status kh_result_rank(const kh_result* result, size_t i, uint32_t* rank, uint32_t* group_rank);
kh_status kh_result_write(const kh_result* result, const char* csv_path, const char* report_path);
void kh_result_free(kh_result* result);
CDEF, $library);

function check($kh, int $status, string $what): void {
    if ($status !== 0) {
        fwrite(STDERR, "$what: " . $kh->kh_status_name($status) . ": " . $kh->kh_last_error() . "\n");
        exit(1);
    }
}

$pool = $kh->new('kh_pool*');
$criteria = $kh->new('kh_criteria*');
$rules = $kh->new('kh_rules*');
$spec = $kh->new('kh_spec*');
$prepared = $kh->new('kh_prepared*');
$result = $kh->new('kh_result*');

check($kh, $kh->kh_pool_read_csv("$root/examples/pool.csv", 'id', FFI::addr($pool)), 'pool');
check($kh, $kh->kh_criteria_load("$root/examples/criteria/honour_pupils.yaml", FFI::addr($criteria)), 'criteria');
check($kh, $kh->kh_rules_load("$root/examples/rules/honour_pupils.yaml", FFI::addr($rules)), 'rules');
check($kh, $kh->kh_spec_new(FFI::addr($spec)), 'spec');
check($kh, $kh->kh_spec_set_criteria($spec, $criteria), 'criteria');
check($kh, $kh->kh_spec_set_rules($spec, $rules), 'rules');
foreach (['seats' => '30', 'per' => 'district', 'order' => 'gpa desc'] as $key => $value) {
    check($kh, $kh->kh_spec_set($spec, $key, $value), $key);
}
check($kh, $kh->kh_prepare($spec, $pool, FFI::addr($prepared)), 'prepare');
check($kh, $kh->kh_execute($prepared, $pool, FFI::addr($result)), 'execute');

$rows = $kh->new('size_t');
$selected = $kh->new('size_t');
check($kh, $kh->kh_result_size($result, FFI::addr($rows), FFI::addr($selected)), 'size');
echo "selected {$selected->cdata} of {$rows->cdata}\n";
$id = $kh->new('const char*');
$group = $kh->new('const char*');
$is_selected = $kh->new('int');
$rank = $kh->new('uint32_t');
$group_rank = $kh->new('uint32_t');
for ($i = 0; $i < $rows->cdata; $i++) {
    check($kh, $kh->kh_result_selected($result, $i, FFI::addr($is_selected)), 'selected');
    if ($is_selected->cdata === 0) {
        continue;
    }
    check($kh, $kh->kh_result_id($result, $i, FFI::addr($id)), 'id');
    check($kh, $kh->kh_result_group($result, $i, FFI::addr($group)), 'group');
    check($kh, $kh->kh_result_rank($result, $i, FFI::addr($rank), FFI::addr($group_rank)), 'rank');
    echo FFI::string($id), ' ', FFI::string($group), ' ', $rank->cdata, "\n";
}
check($kh, $kh->kh_result_write($result, $out_csv, null), 'write');

// A malformed criteria set: a parse error with its line.
$bad = "id: x\nindicators: [\n";
$broken = $kh->new('kh_criteria*');
$status = $kh->kh_criteria_parse($bad, strlen($bad), 'bad.yaml', FFI::addr($broken));
if ($kh->kh_status_name($status) !== 'KH_ERR_PARSE' || $kh->kh_last_error_line() < 2
    || !str_starts_with($kh->kh_last_error(), 'bad.yaml:')) {
    fwrite(STDERR, "expected a located parse error, got " . $kh->kh_status_name($status) . ": "
        . $kh->kh_last_error() . "\n");
    exit(1);
}

$kh->kh_result_free($result);
$kh->kh_prepared_free($prepared);
$kh->kh_spec_free($spec);
$kh->kh_rules_free($rules);
$kh->kh_criteria_free($criteria);
$kh->kh_pool_free($pool);
echo "ok\n";
