#pragma once

#include "core/coverage/tracefile.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace vivarium {

// GCC's own JSON coverage (`gcov --json-format --stdout` on .gcda files: one document per line)
// read into lcov's model, record for record as lcov's geninfo writes it from the same JSON
// (FN/FNDA per function, DA per line, BRDA line,0,N per branch of the line, "-" where the
// line's block never ran), honouring lcov's LCOV_EXCL_* markers in the sources. geninfo 1.16
// spends about 25 times as long as gcov itself in its Perl (10 s against 0.4 s for Redis's 88
// objects), which a property search pays after every example.
// gcov's options for it, as geninfo gives them: -b -c for branches with their counts.
QStringList gcovJsonArguments();
Tracefile tracefileFromGcovJson(
    const QByteArray &jsonLines, const QString &testName, QString *error);

} // namespace vivarium
