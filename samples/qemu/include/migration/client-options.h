/*
 * Migration options used outside migration/ (reviewtool sample tree)
 */

#ifndef QEMU_MIGRATION_CLIENT_OPTIONS_H
#define QEMU_MIGRATION_CLIENT_OPTIONS_H

/* capabilities */

bool migrate_background_snapshot(void);
bool migrate_postcopy_ram(void);

/* parameters */

MigMode migrate_mode(void);
uint64_t migrate_vcpu_dirty_limit_period(void);

#endif
