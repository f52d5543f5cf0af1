/*
 * Migration object (reviewtool sample tree, a short excerpt)
 *
 * Only what the parameter threading touches: the object's init,
 * finalize and startup check.
 */

#include "qemu/osdep.h"
#include "qapi/error.h"
#include "qapi/qapi-visit-migration.h"
#include "hw/qdev-properties.h"
#include "migration/misc.h"
#include "migration.h"
#include "options.h"

static MigrationState *current_migration;

MigrationState *migrate_get_current(void)
{
    /* This can only be called after the object is created. */
    assert(current_migration);
    return current_migration;
}

static bool migration_object_check(MigrationState *ms, Error **errp)
{
    /* Assuming all off */
    bool old_caps[MIGRATION_CAPABILITY__MAX] = { 0 };

    /* Values given with -global are checked here, once */
    if (!migrate_params_check(&ms->parameters, errp)) {
        return false;
    }

    return migrate_caps_check(old_caps, ms->capabilities, errp);
}

static void migration_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->user_creatable = false;
    device_class_set_props_n(dc, migration_properties,
                             migration_properties_count);
}

static void migration_instance_finalize(Object *obj)
{
    MigrationState *ms = MIGRATION_OBJ(obj);

    /*
     * The qdev properties release the members they define.  Members
     * without a property are freed here.
     */
    qapi_free_BitmapMigrationNodeAliasList(
        ms->parameters.block_bitmap_mapping);
    qapi_free_strList(ms->parameters.cpr_exec_command);
}

static void migration_instance_init(Object *obj)
{
    MigrationState *ms = MIGRATION_OBJ(obj);

    migrate_params_init(&ms->parameters);
}

static const TypeInfo migration_type = {
    .name = TYPE_MIGRATION,
    .parent = TYPE_DEVICE,
    .class_init = migration_class_init,
    .class_size = sizeof(MigrationClass),
    .instance_size = sizeof(MigrationState),
    .instance_init = migration_instance_init,
    .instance_finalize = migration_instance_finalize,
};

static void register_migration_types(void)
{
    type_register_static(&migration_type);
}

type_init(register_migration_types);

void migration_object_init(void)
{
    /* Called once, after the -global options were applied */
    assert(!current_migration);
    current_migration = MIGRATION_OBJ(object_new(TYPE_MIGRATION));

    migration_object_check(current_migration, &error_fatal);
}
