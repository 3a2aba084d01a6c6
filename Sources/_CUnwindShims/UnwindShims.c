#include "UnwindShims.h"

unw_addr_space_t hr_unw_create_addr_space(unw_accessors_t *accessors, int byte_order) {
    return unw_create_addr_space(accessors, byte_order);
}

void hr_unw_destroy_addr_space(unw_addr_space_t address_space) { unw_destroy_addr_space(address_space); }

int hr_unw_set_caching_policy(unw_addr_space_t address_space, unw_caching_policy_t policy) {
    return unw_set_caching_policy(address_space, policy);
}

int hr_unw_init_remote(unw_cursor_t *cursor, unw_addr_space_t address_space, void *arg) {
    return unw_init_remote(cursor, address_space, arg);
}

int hr_unw_step(unw_cursor_t *cursor) { return unw_step(cursor); }

int hr_unw_get_reg(unw_cursor_t *cursor, int regnum, unw_word_t *value) { return unw_get_reg(cursor, regnum, value); }
