#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <optional>
#include <toml++/toml.h>

namespace vivarium {

// Checks a test file's raw text before the TOML parser sees it, for what the parser handles
// badly: deep nesting and keys of thousands of dotted parts (it recurses, and overflowed the
// stack on a 61 KB file), NUL bytes (an assertion in it) and U+FE7F (undefined behaviour in
// it), and sheer size. Returns "line:col: message", or empty when the text may be parsed.
QString guardTomlText(const QByteArray &text);

// The guard, then toml++: the table, or nullopt with the problem as "path:line:col: message"
// in errors.
std::optional<toml::table> parseToml(
    const QByteArray &text, const QString &path, QStringList &errors);

// Limits, for messages and tests.
constexpr qsizetype maxTestFileBytes = 1024 * 1024;
constexpr int maxTomlNesting = 32;
constexpr int maxTomlKeyParts = 32;

} // namespace vivarium
