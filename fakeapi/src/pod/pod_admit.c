/*
 * pod_admit: the token volume the ServiceAccount admission plugin mounts
 * into a new pod (plugin/pkg/admission/serviceaccount/admission.go,
 * mountServiceAccountToken and TokenVolumeSource). The fake has no
 * ServiceAccount objects: every namespace's "default" one is taken to
 * exist with automountServiceAccountToken unset. Declared in pod_write.h.
 */
#include "pod/pod_write.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "fakeapi.h"

/* serviceaccount.DefaultAPITokenMountPath */
#define TOKEN_MOUNT_PATH "/var/run/secrets/kubernetes.io/serviceaccount"
/* admission.go: ServiceAccountVolumeName, the generated name's base */
#define TOKEN_VOLUME_BASE "kube-api-access-"

/* TokenVolumeSource: the bound token, the cluster CA and the namespace. */
static json_t *token_volume(const char *name)
{
    return json_pack("{s:s, s:{s:[{s:{s:i, s:s}}, {s:{s:s, s:[{s:s, s:s}]}},"
                     " {s:{s:[{s:s, s:{s:s, s:s}}]}}], s:i}}",
                     "name", name, "projected", "sources",
                     "serviceAccountToken", "expirationSeconds", 3607, "path",
                     "token", "configMap", "name", "kube-root-ca.crt", "items",
                     "key", "ca.crt", "path", "ca.crt", "downwardAPI", "items",
                     "path", "namespace", "fieldRef", "apiVersion", "v1",
                     "fieldPath", "metadata.namespace", "defaultMode", 420);
}

static bool has_token_mount(const json_t *c)
{
    const json_t *m;
    size_t i;

    json_array_foreach(json_object_get(c, "volumeMounts"), i, m)
    {
        const char *p = json_string_value(json_object_get(m, "mountPath"));

        if (p && strcmp(p, TOKEN_MOUNT_PATH) == 0)
            return true;
    }
    return false;
}

/* Mount @p name in every container of @p list that has no mount at the
 * token path; *added tells whether any did. */
static int mount_in(json_t *list, const char *name, bool *added)
{
    json_t *c;
    size_t i;

    json_array_foreach(list, i, c)
    {
        json_t *mounts;

        if (!json_is_object(c) || has_token_mount(c))
            continue;
        mounts = json_object_get(c, "volumeMounts");
        if (!json_is_array(mounts)) {
            mounts = json_array();
            if (json_object_set_new(c, "volumeMounts", mounts) != 0)
                return FAKEAPI_E_NOMEM;
        }
        if (json_array_append_new(
                mounts, json_pack("{s:s, s:b, s:s}", "name", name, "readOnly",
                                  1, "mountPath", TOKEN_MOUNT_PATH)) != 0)
            return FAKEAPI_E_NOMEM;
        *added = true;
    }
    return FAKEAPI_OK;
}

int fakeapi__pod_admit_token(json_t *pod, const char *suffix)
{
    json_t *spec = json_object_get(pod, "spec");
    json_t *auto_mount = json_object_get(spec, "automountServiceAccountToken");
    json_t *volumes = json_object_get(spec, "volumes");
    char name[64];
    const char *use = NULL;
    const json_t *v;
    bool added = false;
    size_t i;

    if (!json_is_object(spec) || json_is_false(auto_mount))
        return FAKEAPI_OK;
    /* an existing kube-api-access-* volume is reused */
    json_array_foreach(volumes, i, v)
    {
        const char *n = json_string_value(json_object_get(v, "name"));

        if (n &&
            strncmp(n, TOKEN_VOLUME_BASE, strlen(TOKEN_VOLUME_BASE)) == 0) {
            use = n;
            break;
        }
    }
    if (!use) {
        snprintf(name, sizeof(name), "%s%.5s", TOKEN_VOLUME_BASE, suffix);
        use = name;
    }
    if (mount_in(json_object_get(spec, "initContainers"), use, &added) != 0 ||
        mount_in(json_object_get(spec, "containers"), use, &added) != 0)
        return FAKEAPI_E_NOMEM;
    if (!added || use != name)
        return FAKEAPI_OK;
    if (!json_is_array(volumes)) {
        volumes = json_array();
        if (json_object_set_new(spec, "volumes", volumes) != 0)
            return FAKEAPI_E_NOMEM;
    }
    return json_array_append_new(volumes, token_volume(name)) == 0
               ? FAKEAPI_OK
               : FAKEAPI_E_NOMEM;
}
