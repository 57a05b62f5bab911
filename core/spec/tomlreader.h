#pragma once

#include "core/spec/testspec.h"

#include <QByteArray>
#include <QStringList>
#include <optional>
#include <toml++/toml.h>

namespace vivarium {

QString tomlString(std::string_view s);

// The typed reads of one test file's values: each says what is wrong with a value, at its
// file:line:col, and gives nothing for it. Errors collect in the loader's list.
class TomlReader {
public:
    TomlReader(const QString &file, const QString &dir, QStringList &errors)
        : m_file(file)
        , m_dir(dir)
        , m_errors(errors)
    {
    }

    SourceLocation at(const toml::source_region &region) const
    {
        return { m_file, int(region.begin.line), int(region.begin.column) };
    }
    void error(const toml::source_region &region, const QString &message)
    {
        m_errors.append(at(region).toString() + QStringLiteral(": ") + message);
    }

    template<typename T>
    std::optional<T> inRange(const toml::node &node, const QString &key, T value, T min, T max)
    {
        if (value < min || value > max) {
            error(node.source(),
                QStringLiteral("'%1' must be between %2 and %3, not %4")
                    .arg(key)
                    .arg(min)
                    .arg(max)
                    .arg(value));
            return std::nullopt;
        }
        return value;
    }

    std::optional<qint64> integer(
        const toml::node &node, const QString &key, qint64 min, qint64 max)
    {
        const auto value = node.value_exact<int64_t>();
        if (!value) {
            error(node.source(), QStringLiteral("'%1' must be an integer").arg(key));
            return std::nullopt;
        }
        return inRange<qint64>(node, key, *value, min, max);
    }

    std::optional<double> number(const toml::node &node, const QString &key, double min, double max)
    {
        const auto value = node.value<double>();
        if (!value || !(node.is_integer() || node.is_floating_point())) {
            error(node.source(), QStringLiteral("'%1' must be a number").arg(key));
            return std::nullopt;
        }
        return inRange<double>(node, key, *value, min, max);
    }

    std::optional<QString> string(const toml::node &node, const QString &key)
    {
        const auto value = node.value_exact<std::string>();
        if (!value) {
            error(node.source(), QStringLiteral("'%1' must be a string").arg(key));
            return std::nullopt;
        }
        if (value->find('\0') != std::string::npos) {
            error(node.source(), QStringLiteral("'%1' must not contain a NUL character").arg(key));
            return std::nullopt;
        }
        return tomlString(*value);
    }

    // A string naming one of the choices (in the order the message lists them), as its value.
    template<typename T>
    std::optional<T> choice(const toml::node &node, const QString &key,
        std::initializer_list<std::pair<const char *, T>> choices)
    {
        const auto name = string(node, key);
        if (!name)
            return std::nullopt;
        QStringList quoted;
        for (const auto &[text, value] : choices) {
            if (*name == QLatin1String(text))
                return value;
            quoted << QLatin1Char('"') + QLatin1String(text) + QLatin1Char('"');
        }
        const QString last = quoted.takeLast();
        error(node.source(),
            QStringLiteral("'%1' must be %2 or %3, not \"%4\"")
                .arg(key, quoted.join(QStringLiteral(", ")), last, *name));
        return std::nullopt;
    }

    std::optional<bool> boolean(const toml::node &node, const QString &key)
    {
        const auto value = node.value_exact<bool>();
        if (!value) {
            error(node.source(), QStringLiteral("'%1' must be true or false").arg(key));
            return std::nullopt;
        }
        return *value;
    }

    std::optional<QStringList> strings(const toml::node &node, const QString &key)
    {
        const toml::array *array = node.as_array();
        if (!array) {
            error(node.source(), QStringLiteral("'%1' must be an array of strings").arg(key));
            return std::nullopt;
        }
        QStringList result;
        for (const toml::node &item : *array) {
            const auto value = item.value_exact<std::string>();
            if (!value) {
                error(item.source(), QStringLiteral("'%1' must hold only strings").arg(key));
                return std::nullopt;
            }
            if (value->find('\0') != std::string::npos) {
                error(item.source(),
                    QStringLiteral("'%1' must not contain a NUL character").arg(key));
                return std::nullopt;
            }
            result.append(tomlString(*value));
        }
        return result;
    }

    // A path relative to the test file's directory, made absolute.
    QString path(const toml::node &node, const QString &key, bool mustExist);
    // A kernel or initramfs of the machine's own: an existing file that starts like one.
    QString bootFile(const toml::node &node, const QString &key, const QList<QByteArray> &magic);
    void linkSetting(const QString &key, const toml::node &node, LinkSettings &settings);
    const QString &directory() const { return m_dir; }

private:
    QString m_file;
    QString m_dir;
    QStringList &m_errors;
};

} // namespace vivarium
