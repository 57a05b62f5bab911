#pragma once

#include <QImage>
#include <opencv2/core.hpp>

namespace vivarium {

// A screen (any QImage format) as an OpenCV matrix: 3 channels, BGR, 8 bits; a deep copy.
cv::Mat bgrMat(const QImage &image);
// One channel of grey, 8 bits.
cv::Mat greyMat(const QImage &image);
// Back to a QImage (1 or 3 channels), a deep copy.
QImage imageFromMat(const cv::Mat &mat);

} // namespace vivarium
