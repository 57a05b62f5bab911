#include "protocol.h"

#include <string.h>
#include <unistd.h>

int demo_split(char *line, char **verb, char **key, char **value)
{
    int words = 0;
    char *save = NULL;
    *verb = *key = *value = NULL;
    char *word = strtok_r(line, " ", &save);
    if (word) {
        *verb = word;
        words++;
        word = strtok_r(NULL, " ", &save);
    }
    if (word) {
        *key = word;
        words++;
        word = strtok_r(NULL, "", &save);
    }
    if (word) {
        *value = word;
        words++;
    }
    return words;
}

int demo_read_line(int fd, char *line, size_t size)
{
    size_t n = 0;
    for (;;) {
        char c;
        ssize_t got = read(fd, &c, 1);
        if (got <= 0)
            return n > 0 ? (int)n : -1;
        if (c == '\n')
            break;
        if (n + 1 < size)
            line[n++] = c;
    }
    line[n] = '\0';
    return (int)n;
}

int demo_write_line(int fd, const char *text)
{
    size_t length = strlen(text);
    if (write(fd, text, length) != (ssize_t)length || write(fd, "\n", 1) != 1)
        return -1;
    return 0;
}
