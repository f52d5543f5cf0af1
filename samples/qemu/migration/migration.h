/*
 * Migration state (reviewtool sample tree, a short excerpt)
 */

#ifndef QEMU_MIGRATION_H
#define QEMU_MIGRATION_H

#include "qapi/qapi-types-migration.h"
#include "qom/object.h"

#define TYPE_MIGRATION "migration"
OBJECT_DECLARE_TYPE(MigrationState, MigrationClass, MIGRATION_OBJ)

typedef struct MigrationIncomingState MigrationIncomingState;

struct MigrationClass {
    DeviceClass parent_class;
};

struct MigrationState {
    DeviceState parent_obj;

    QEMUFile *to_dst_file;

    /* Values of the migration parameters, complete after init */
    MigrationParameters parameters;
    /*
     * True once the user set block-bitmap-mapping: until then
     * query-migrate-parameters leaves it out.
     */
    bool has_block_bitmap_mapping;

    bool capabilities[MIGRATION_CAPABILITY__MAX];

    bool store_global_state;
    bool send_configuration;
};

MigrationState *migrate_get_current(void);
MigrationIncomingState *migration_incoming_get_current(void);
bool migration_in_postcopy(void);

#endif
