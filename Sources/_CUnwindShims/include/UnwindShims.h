#ifndef HYBRID_RUN_UNWIND_SHIMS_H
#define HYBRID_RUN_UNWIND_SHIMS_H

// libunwind's remote ("generic") API for x86_64: unwinding another address space through accessors.
#include <libunwind.h>

/// Why C (for every `hr_unw_*` below): libunwind's public names are macros (`unw_init_remote` expands to
/// `_Ux86_64_init_remote`, and so on), which Swift cannot import. Each wrapper calls the macro and returns
/// what it returns.
unw_addr_space_t hr_unw_create_addr_space(unw_accessors_t *accessors, int byte_order);
void hr_unw_destroy_addr_space(unw_addr_space_t address_space);
int hr_unw_set_caching_policy(unw_addr_space_t address_space, unw_caching_policy_t policy);
int hr_unw_init_remote(unw_cursor_t *cursor, unw_addr_space_t address_space, void *arg);
int hr_unw_step(unw_cursor_t *cursor);
int hr_unw_get_reg(unw_cursor_t *cursor, int regnum, unw_word_t *value);

/// Looks `ip` up in a binary-search table (`.eh_frame_hdr`) and fills `pi` from the matching FDE.
///
/// Why C: libunwind-x86_64 exports it but declares it only in a private header (perf declares it the same way).
int _Ux86_64_dwarf_search_unwind_table(unw_addr_space_t as, unw_word_t ip, unw_dyn_info_t *di,
                                       unw_proc_info_t *pi, int need_unwind_info, void *arg);

#endif
