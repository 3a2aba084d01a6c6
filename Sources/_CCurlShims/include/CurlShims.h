#ifndef HYBRID_RUN_CURL_SHIMS_H
#define HYBRID_RUN_CURL_SHIMS_H

#include <curl/curl.h>

/// Why C (for every `hr_curl_*` below): `curl_easy_setopt` and `curl_easy_getinfo` are variadic, which Swift
/// cannot call, and libcurl reads the argument as the type the option names. Each wrapper passes one argument
/// of one type and returns what libcurl returns.
CURLcode hr_curl_setopt_long(CURL *handle, CURLoption option, long value);
CURLcode hr_curl_setopt_off(CURL *handle, CURLoption option, curl_off_t value);
CURLcode hr_curl_setopt_string(CURL *handle, CURLoption option, const char *value);
CURLcode hr_curl_setopt_pointer(CURL *handle, CURLoption option, void *value);
CURLcode hr_curl_setopt_list(CURL *handle, CURLoption option, struct curl_slist *value);

/// A write or header callback (`CURLOPT_WRITEFUNCTION`, `CURLOPT_HEADERFUNCTION`).
typedef size_t (*hr_curl_data_callback)(char *data, size_t size, size_t count, void *context);
CURLcode hr_curl_setopt_data_callback(CURL *handle, CURLoption option, hr_curl_data_callback callback);

CURLcode hr_curl_getinfo_long(CURL *handle, CURLINFO info, long *value);

/// Why C: `CURL_GLOBAL_DEFAULT` is a macro built from other macros.
CURLcode hr_curl_global_init_default(void);

#endif
