/**
 * QR codes as SVG (npm `qrcode`): the one renderer of the table codes guests scan (the API's
 * `qr.svg`, the admin pages, the printable sheet) and of the device links managers hand to a
 * tablet.
 */
import QRCode from "qrcode";

/** The guest URL a table's QR code opens. */
export function guestUrl(publicUrl: string, token: string): string {
  return `${publicUrl}/t/${encodeURIComponent(token)}`;
}

/** `text` as an SVG QR code (error correction M, a two-module quiet zone). */
export async function qrSvg(text: string): Promise<string> {
  return await QRCode.toString(text, { type: "svg", errorCorrectionLevel: "M", margin: 2 });
}

/** A table's QR code: its guest URL as an SVG QR code. */
export async function tableQrSvg(publicUrl: string, token: string): Promise<string> {
  return await qrSvg(guestUrl(publicUrl, token));
}
