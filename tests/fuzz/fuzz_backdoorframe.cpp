// libFuzzer: the agent's byte stream, as the host decodes it: any bytes give frames whose CRCs
// hold, or skipped bytes that are reported; nothing is ever taken for output otherwise.
#include "core/machine/backdoorframe.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vivarium::BackdoorDecoder decoder;
    const QByteArray bytes(reinterpret_cast<const char *>(data), qsizetype(size));
    const qsizetype chunk = size > 0 ? 1 + data[0] % 97 : 1;
    qsizetype payload = 0;
    for (qsizetype at = 0; at < bytes.size(); at += chunk) {
        for (const vivarium::BackdoorFrame &frame : decoder.feed(bytes.mid(at, chunk))) {
            // A decoded frame re-encodes to bytes that were in the input.
            if (!bytes.contains(frame.encode()))
                __builtin_trap();
            payload += frame.payload.size();
        }
    }
    if (decoder.pendingBytes() + decoder.skippedBytes() + payload > bytes.size())
        __builtin_trap();
    (void)decoder.takeCorruption();
    return 0;
}
