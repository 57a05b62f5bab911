// libFuzzer: the test-file loader on any bytes. It must answer with a spec or with messages,
// never crash, hang or overflow the stack (it once did, inside the TOML parser).
#include "core/spec/specloader.h"

#include <cstddef>
#include <cstdint>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vivarium::SpecLoader loader;
    // Packages are looked up with dpkg-query: not a thing to run for each input.
    loader.setPackageCheck([](const QStringList &) { return QStringList(); });
    const auto spec
        = loader.loadString(QByteArray(reinterpret_cast<const char *>(data), qsizetype(size)),
            QStringLiteral("/nonexistent/fuzz.toml"));
    if (!spec && loader.errors().isEmpty())
        __builtin_trap(); // a rejected file always says why
    return 0;
}
