#pragma once

#include <QLocale>
#include <QString>
#include <QStringList>
#include <QStringView>
#include <concepts>
#include <initializer_list>

namespace vivarium {

// Formats text in one pass: each %1..%99 in the pattern is replaced by its argument, and the
// arguments' own text is never scanned again. Chained QString::arg calls scan what an earlier
// call put in, so a user's "%1" in a command or a subtest name was replaced by a later number.
// Every message or report line that carries user or guest text is built with this.
QString formatText(QStringView pattern, std::initializer_list<QString> arguments);

// Text as a terminal may show it: control characters other than newline and tab as `cat -v`
// writes them (ESC as ^[, DEL as ^?, C1 controls as M-^X), so a guest's escape sequences (an
// OSC 52 clipboard write, a window title) reach the user's terminal as text, never as commands.
QString printableText(const QString &text);

// s as one word of a POSIX shell line (single quotes).
QString shellQuote(const QString &s);
// Each word quoted, joined by spaces: one shell command line.
QString shellQuoteAll(const QStringList &words);

// A number as QString::arg(double) writes it (shortest exact form), or with fixed decimals.
inline QString number(double value)
{
    return QString::number(value, 'g', QLocale::FloatingPointShortest);
}
inline QString fixed(double value, int decimals)
{
    return QString::number(value, 'f', decimals);
}

namespace detail {
inline QString text(const QString &s)
{
    return s;
}
inline QString text(QStringView s)
{
    return s.toString();
}
inline QString text(QLatin1StringView s)
{
    return QString(s);
}
inline QString text(const char *s)
{
    return QString::fromUtf8(s);
}
template<std::integral T>
requires(!std::same_as<T, bool> && !std::same_as<T, char>) QString text(T n)
{
    return QString::number(n);
}
template<std::floating_point T> QString text(T n)
{
    return number(double(n));
}
} // namespace detail

template<typename... Args> QString formatText(QStringView pattern, const Args &...arguments)
{
    return formatText(pattern, { detail::text(arguments)... });
}

} // namespace vivarium
