/* The coverage demo's protocol (docs/coverage.md): one request per line over TCP, one reply
   line. Both programs link protocol.c, so its lines show which machine ran each. */
#pragma once

#include <stddef.h>

enum { demo_port = 7070, demo_line_max = 256 };

/* Splits "VERB KEY VALUE" in place; returns the number of words (0-3). */
int demo_split(char *line, char **verb, char **key, char **value);
/* Reads one line (without its '\n') from fd; -1 at end of input or on an error. */
int demo_read_line(int fd, char *line, size_t size);
/* Writes text and a '\n'; -1 on an error. */
int demo_write_line(int fd, const char *text);
