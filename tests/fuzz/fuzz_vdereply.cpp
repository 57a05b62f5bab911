// libFuzzer: what vde_switch and wirefilter answer on their management sockets.
#include "core/network/vdemanagement.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const vivarium::VdeReply reply = vivarium::parseVdeReply(
        QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)));
    if (reply.ok && !reply.status.startsWith(QLatin1String("1000")))
        __builtin_trap();
    return 0;
}
