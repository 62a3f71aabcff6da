//! Images as the fakes receive them (base64 in JSON): decoded and recognised the way the real
//! services check them, so a request with a broken or mislabelled image fails here too.

use base64::Engine;

/// The media type of a base64 image (`image/png`…), or why it is not one.
pub(crate) fn decode(data: &str) -> Result<&'static str, String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(data)
        .map_err(|e| format!("the image data is not valid base64 ({e})"))?;
    crate::chat::image_type(&bytes).ok_or_else(|| "the image data is not a PNG, JPEG, GIF or WebP image".to_owned())
}
