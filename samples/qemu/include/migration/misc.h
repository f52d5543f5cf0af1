/*
 * Migration functions exported to the rest of QEMU
 * (reviewtool sample tree, a short excerpt)
 */

#ifndef MIGRATION_MISC_H
#define MIGRATION_MISC_H

#include "qemu/notify.h"
#include "qapi/qapi-types-migration.h"
#include "migration/client-options.h"

/* migration/ram.c */

void ram_mig_init(void);

/* migration/migration.c */

void migration_object_init(void);
void migration_shutdown(void);
bool migration_is_running(void);
bool migration_in_incoming_postcopy(void);

/* migration/multifd-device-state.c */

bool multifd_queue_device_state(char *idstr, uint32_t instance_id,
                                char *data, size_t len);
bool multifd_device_state_supported(void);

bool multifd_device_state_save_thread_should_exit(void);

void multifd_abort_device_state_save_threads(void);
bool multifd_join_device_state_save_threads(void);

#endif
