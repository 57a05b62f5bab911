// libFuzzer: QEMU's monitor replies, as the QMP parser reads them, in pieces of any size.
#include "core/qemu/qmpparser.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vivarium::QmpParser parser;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    // The first byte chooses how the stream is cut, so splits are explored too.
    const qsizetype chunk = size > 0 ? 1 + data[0] % 64 : 1;
    for (qsizetype at = 0; at < bytes.size(); at += chunk)
        parser.feed(bytes.mid(at, chunk));
    return 0;
}
