#pragma once

#include <QByteArray>
#include <QString>

namespace vivarium {

// Checks a test file's raw text before the TOML parser sees it, for what the parser handles
// badly: deep nesting and keys of thousands of dotted parts (it recurses, and overflowed the
// stack on a 61 KB file), NUL bytes (an assertion in it) and U+FE7F (undefined behaviour in
// it), and sheer size. Returns "line:col: message", or empty when the text may be parsed.
QString guardTomlText(const QByteArray &text);

// Limits, for messages and tests.
constexpr qsizetype maxTestFileBytes = 1024 * 1024;
constexpr int maxTomlNesting = 32;
constexpr int maxTomlKeyParts = 32;

} // namespace vivarium
