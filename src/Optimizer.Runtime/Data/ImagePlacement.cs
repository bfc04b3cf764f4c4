namespace Optimizer.Runtime.Data;

/// <summary>
/// Where one image goes in the model's input: resized to <see cref="ResizedWidth"/>x<see cref="ResizedHeight"/>, read
/// from (<see cref="Left"/>, <see cref="Top"/>) into a <see cref="Width"/>x<see cref="Height"/> tensor; what lies past
/// the resized image's right or bottom edge is padding (0 after normalization, as PaddleOCR pads text lines).
/// </summary>
public readonly record struct ImagePlacement(int ResizedWidth, int ResizedHeight, int Left, int Top, int Width, int Height)
{
    /// <summary>
    /// Both sides fixed: an image of exactly that size as it is (unless resize or crop were given), else torchvision's
    /// resize and centre crop. One side fixed (a text-line recognizer's [N,3,48,W]): that side scaled to
    /// <see cref="Preprocessing.Resize"/> (the side itself unless given) and centre-cropped to it, the open side following the aspect ratio
    /// (rounded up, as PaddleOCR's resize_norm_img does). None: the short side to resize when given, else the image's own size.
    /// Open sides are padded to a multiple of <see cref="Preprocessing.Multiple"/>.
    /// </summary>
    public static ImagePlacement For(int w, int h, Preprocessing p)
    {
        switch (p.Height, p.Width)
        {
            case ({ } ch, { } cw):
                if (p.TakesFittingImagesAsIs && w == cw && h == ch) return new(w, h, 0, 0, cw, ch);
                var (rw, rh) = ResizedSize(w, h, p);
                return new(rw, rh, Centre(rw, cw), Centre(rh, ch), cw, ch);
            case ({ } ch, null):
            {
                var width = ScaledUp(w, p.Resize, h);
                return new(width, p.Resize, 0, Centre(p.Resize, ch), PadTo(width, p.Multiple), ch);
            }
            case (null, { } cw):
            {
                var height = ScaledUp(h, p.Resize, w);
                return new(p.Resize, height, Centre(p.Resize, cw), 0, cw, PadTo(height, p.Multiple));
            }
            default:
            {
                var (width, height) = p.Resize <= 0 ? (w, h)
                    : w <= h ? (p.Resize, ScaledUp(h, p.Resize, w)) : (ScaledUp(w, p.Resize, h), p.Resize);
                return new(width, height, 0, 0, PadTo(width, p.Multiple), PadTo(height, p.Multiple));
            }
        }
    }

    /// <summary>
    /// The size the image is resized to before the centre crop: the side whose crop needs the larger scale becomes the
    /// crop's side times resize/short side of the crop (for a square crop: the short side becomes resize, as
    /// torchvision does), the other follows the aspect ratio (truncated), never below the crop.
    /// </summary>
    internal static (int Width, int Height) ResizedSize(int w, int h, Preprocessing p)
    {
        var (height, width) = (p.Height ?? throw new ArgumentException("an open height"), p.Width ?? throw new ArgumentException("an open width"));
        var ratio = (double)p.Resize / Math.Min(height, width);
        if ((long)width * h >= (long)height * w)
        {
            var rw = (int)Math.Round(width * ratio);
            return (rw, Math.Max(height, (int)((long)rw * h / w)));
        }
        var rh = (int)Math.Round(height * ratio);
        return (Math.Max(width, (int)((long)rh * w / h)), rh);
    }

    private static int Centre(int resized, int crop) => (int)Math.Round((resized - crop) / 2.0);

    /// <summary>ceil(side * to / from): the other side of a resize keeping the aspect ratio, at least 1.</summary>
    private static int ScaledUp(int side, int to, int from) => (int)Math.Max(1, ((long)side * to + from - 1) / from);

    private static int PadTo(int size, int multiple) => (size + multiple - 1) / multiple * multiple;
}
