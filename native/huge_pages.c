// Asks Linux to back the wasm core's linear memory with transparent huge pages (2 MiB): the
// connection and counter tables are read at random, and with 4 KiB pages nearly every lookup in a
// table larger than the TLB's reach also walks the page tables. Linux's default (THP "madvise")
// gives huge pages only to memory that asks, and Node has no madvise: hence this addon.
// src/wasm/huge-pages.ts loads it; without it the core runs on 4 KiB pages.
#include <node_api.h>
#include <errno.h>
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

// adviseHugePages(buffer: ArrayBuffer, span: number): [errno, start]: MADV_HUGEPAGE on the span
// bytes from the buffer's first page (the reservation V8 made for the memory may be larger than
// the buffer: the advice then covers its growth too). errno 0: applied; ENOMEM: applied to the
// part of the span that is mapped. start: the address advised, for tests to find it in
// /proc/self/smaps.
static napi_value advise(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void* data = NULL;
  size_t length = 0;
  double span = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 2 ||
      napi_get_arraybuffer_info(env, argv[0], &data, &length) != napi_ok ||
      napi_get_value_double(env, argv[1], &span) != napi_ok || span < 0) {
    napi_throw_type_error(env, NULL, "adviseHugePages(buffer: ArrayBuffer, span: number)");
    return NULL;
  }
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t start = ((uintptr_t)data + page - 1) & ~(page - 1);
  uintptr_t end = ((uintptr_t)data + (uintptr_t)span) & ~(page - 1);
  int error = 0;
#ifdef MADV_HUGEPAGE
  if (end > start && madvise((void*)start, end - start, MADV_HUGEPAGE) != 0) error = errno;
#else
  error = ENOSYS;
#endif
  napi_value result, code, address;
  napi_create_array_with_length(env, 2, &result);
  napi_create_int32(env, error, &code);
  napi_create_bigint_uint64(env, (uint64_t)start, &address);
  napi_set_element(env, result, 0, code);
  napi_set_element(env, result, 1, address);
  return result;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "adviseHugePages", NAPI_AUTO_LENGTH, advise, NULL, &fn);
  napi_set_named_property(env, exports, "adviseHugePages", fn);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
