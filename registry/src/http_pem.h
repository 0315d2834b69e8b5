/*
 * http_pem: PEM bytes behind a path libcurl can open (internal to libkreg).
 *
 * Kubeconfigs carry the CA, client certificate and key as data, and exec
 * plugins hand out rotating ones. Not every libcurl TLS backend takes
 * them from memory (GnuTLS takes only files), so libkreg hands every
 * backend the same thing: an anonymous memory file (memfd: never on
 * disk, closed on exec) opened through /proc/self/fd. Files are reference
 * counted: an exchange holds the ones it named until it ends, so a
 * rotation never pulls a file from under a connection being set up.
 */
#ifndef KREG_HTTP_PEM_H
#define KREG_HTTP_PEM_H

#include <stdbool.h>
#include <stddef.h>

#include "kreg.h"

struct kreg__pemfile;

/*
 * A new file holding @p len bytes of @p pem (one reference), named
 * @p what in errors ("client key"). Returns KREG_OK, KREG_E_NOMEM, or
 * KREG_E_CONFIG when the system has no memory files (then *@p out NULL).
 */
int kreg__pemfile_new(const char *pem, size_t len, const char *what,
                      struct kreg__pemfile **out, struct kreg_error *err);

/* The path to hand libcurl; valid while a reference is held. */
const char *kreg__pemfile_path(const struct kreg__pemfile *f);

/* Whether @p f holds exactly these bytes (NULL @p f: false). */
bool kreg__pemfile_holds(const struct kreg__pemfile *f, const char *pem,
                         size_t len);

/* One more reference; returns @p f (NULL stays NULL). Thread-safe. */
struct kreg__pemfile *kreg__pemfile_ref(struct kreg__pemfile *f);

/* Drop a reference; the last closes the file and wipes the copy kept for
 * kreg__pemfile_holds(). NULL is a no-op. Thread-safe. */
void kreg__pemfile_unref(struct kreg__pemfile *f);

#endif
