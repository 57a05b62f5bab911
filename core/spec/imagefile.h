#pragma once

#include <QString>

namespace vivarium {

// What a machine's `image` file is (docs/guests.md, "Images of your own"): "qcow2", or "raw" for
// an ext2/3/4 or erofs file system or a disk with a partition table; empty, with *why, when it
// is none of these or cannot be read.
QString imageFileFormat(const QString &path, QString *why);

} // namespace vivarium
