#include "core/script/calljournal.h"

#include <utility>

namespace vivarium {

int CallJournal::size() const
{
    std::lock_guard lock(m_mutex);
    return int(m_entries.size());
}

std::optional<JournalEntry> CallJournal::entry(int index) const
{
    std::lock_guard lock(m_mutex);
    if (index < 0 || index >= m_entries.size())
        return std::nullopt;
    return m_entries.at(index);
}

void CallJournal::append(const JournalEntry &entry)
{
    std::lock_guard lock(m_mutex);
    m_entries.append(entry);
}

QList<Checkpoint> CallJournal::checkpoints() const
{
    std::lock_guard lock(m_mutex);
    return m_checkpoints;
}

void CallJournal::addCheckpoint(const Checkpoint &checkpoint)
{
    std::lock_guard lock(m_mutex);
    m_checkpoints.append(checkpoint);
}

std::optional<Checkpoint> CallJournal::checkpointAt(int index) const
{
    std::lock_guard lock(m_mutex);
    for (const Checkpoint &c : m_checkpoints) {
        if (c.index == index)
            return c;
    }
    return std::nullopt;
}

std::optional<Checkpoint> CallJournal::lastCheckpointBefore(int index) const
{
    std::lock_guard lock(m_mutex);
    std::optional<Checkpoint> found;
    for (const Checkpoint &c : m_checkpoints) {
        if (c.index < index && (!found || c.index > found->index))
            found = c;
    }
    return found;
}

int CallJournal::nextCheckpointNumber() const
{
    std::lock_guard lock(m_mutex);
    return m_nextCheckpoint;
}

void CallJournal::setNextCheckpointNumber(int number)
{
    std::lock_guard lock(m_mutex);
    m_nextCheckpoint = number;
}

int CallJournal::takeCheckpointNumber()
{
    std::lock_guard lock(m_mutex);
    return m_nextCheckpoint++;
}

bool CallJournal::firstRefusal()
{
    std::lock_guard lock(m_mutex);
    return !std::exchange(m_refused, true);
}

} // namespace vivarium
