#include "core/util/pngwriter.h"

#include <QFile>
#include <QImage>
#include <QtEndian>
#include <zlib.h>

namespace vivarium {

namespace {

void appendChunk(QByteArray &png, const char type[4], const QByteArray &data)
{
    char length[4];
    qToBigEndian(quint32(data.size()), length);
    png.append(length, 4);
    const qsizetype start = png.size();
    png.append(type, 4);
    png.append(data);
    char crc[4];
    qToBigEndian(quint32(crc32(0, reinterpret_cast<const Bytef *>(png.constData() + start),
                     uInt(png.size() - start))),
        crc);
    png.append(crc, 4);
}

// The image's rows as PNG scanlines (filter byte 0, then RGB), deflated.
QByteArray compressedRows(const QImage &rgb, QString *error)
{
    z_stream stream {};
    if (deflateInit2(&stream, 1, Z_DEFLATED, 15, 8, Z_RLE) != Z_OK) {
        *error = QStringLiteral("zlib cannot start");
        return {};
    }
    QByteArray out(qsizetype(deflateBound(&stream, uLong(rgb.height()) * (rgb.width() * 3 + 1))),
        Qt::Uninitialized);
    stream.next_out = reinterpret_cast<Bytef *>(out.data());
    stream.avail_out = uInt(out.size());
    QByteArray row(rgb.width() * 3 + 1, '\0');
    for (int y = 0; y < rgb.height(); ++y) {
        memcpy(row.data() + 1, rgb.constScanLine(y), size_t(rgb.width()) * 3);
        stream.next_in = reinterpret_cast<Bytef *>(row.data());
        stream.avail_in = uInt(row.size());
        if (deflate(&stream, y + 1 == rgb.height() ? Z_FINISH : Z_NO_FLUSH) == Z_STREAM_ERROR) {
            deflateEnd(&stream);
            *error = QStringLiteral("zlib failed");
            return {};
        }
    }
    out.resize(qsizetype(stream.total_out));
    deflateEnd(&stream);
    return out;
}

} // namespace

QImage imageFromPpm(const QByteArray &ppm)
{
    // "P6" whitespace width whitespace height whitespace 255 one-whitespace pixels
    // (QEMU writes no comments).
    QList<QByteArray> fields;
    qsizetype at = 0;
    while (fields.size() < 4 && at < ppm.size()) {
        while (at < ppm.size() && QChar::isSpace(uchar(ppm.at(at))))
            ++at;
        const qsizetype start = at;
        while (at < ppm.size() && !QChar::isSpace(uchar(ppm.at(at))))
            ++at;
        fields << ppm.mid(start, at - start);
    }
    ++at; // the single whitespace before the pixels
    if (fields.size() != 4 || fields.at(0) != "P6" || fields.at(3) != "255")
        return {};
    const int width = fields.at(1).toInt();
    const int height = fields.at(2).toInt();
    if (width <= 0 || height <= 0 || ppm.size() - at < qsizetype(width) * height * 3)
        return {};
    QImage image(width, height, QImage::Format_RGB888);
    for (int y = 0; y < height; ++y)
        memcpy(
            image.scanLine(y), ppm.constData() + at + qsizetype(y) * width * 3, size_t(width) * 3);
    return image;
}

QString writeScreenPng(const QImage &image, const QString &path)
{
    const QImage rgb = image.format() == QImage::Format_RGB888
        ? image
        : image.convertToFormat(QImage::Format_RGB888);
    QString error;
    const QByteArray idat = compressedRows(rgb, &error);
    if (!error.isEmpty())
        return error;
    QByteArray png("\x89PNG\r\n\x1a\n", 8);
    QByteArray header(13, '\0');
    qToBigEndian(quint32(rgb.width()), header.data());
    qToBigEndian(quint32(rgb.height()), header.data() + 4);
    header[8] = 8; // bits per channel
    header[9] = 2; // RGB
    appendChunk(png, "IHDR", header);
    appendChunk(png, "IDAT", idat);
    appendChunk(png, "IEND", {});
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(png) != png.size())
        return file.errorString();
    return {};
}

} // namespace vivarium
