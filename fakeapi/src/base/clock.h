/*
 * clock: the server's two clocks: wall time for the timestamps objects
 * carry, monotonic time for deadlines.
 */
#ifndef FAKEAPI_CLOCK_H
#define FAKEAPI_CLOCK_H

#include <stdint.h>

/* Current time as RFC 3339 "2024-05-01T10:00:00Z" (metav1.Time's form). */
void fakeapi__now(char buf[32]);

/* Monotonic milliseconds. */
uint64_t fakeapi__mono_ms(void);

#endif
