#pragma once

#include <QByteArray>
#include <QImage>
#include <QString>

namespace vivarium {

// Writes an image as an RGB PNG tuned for screens: no row filters and zlib's run-length
// strategy at level 1, which is several times faster than a general PNG encoder on text
// consoles and desktops (large runs of one colour) at a similar size. Empty on success, else
// what went wrong.
QString writeScreenPng(const QImage &image, const QString &path);

// A binary PPM (P6, 8 bits a channel, as QEMU's screendump writes it) as an RGB888 image,
// without a general image loader; null when it is not one.
QImage imageFromPpm(const QByteArray &ppm);

} // namespace vivarium
