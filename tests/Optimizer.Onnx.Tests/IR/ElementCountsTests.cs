using Optimizer.Onnx.Errors;
using Optimizer.Onnx.IR;

namespace Optimizer.Onnx.Tests.IR;

public class ElementCountsTests
{
    [Theory]
    [InlineData(new long[0], 1L)]
    [InlineData(new long[] { 2, 3, 4 }, 24L)]
    [InlineData(new long[] { 1L << 31, 1L << 31 }, 1L << 62)]
    [InlineData(new long[] { long.MaxValue }, long.MaxValue)]
    // An empty tensor is empty however large its other dims: the product would overflow before the 0.
    [InlineData(new long[] { 1L << 40, 1L << 40, 0 }, 0L)]
    public void CountsTheElements(long[] dims, long expected) => Assert.Equal(expected, ElementCounts.TryProduct(dims));

    [Theory]
    [InlineData(new long[] { long.MaxValue, long.MaxValue })] // wrapped to 1 when unchecked
    [InlineData(new long[] { 1L << 32, 1L << 32 })] // wrapped to 0 when unchecked
    [InlineData(new long[] { 3, 1L << 62 })]
    [InlineData(new long[] { 2, -1 })]
    public void RefusesCountsThatDoNotFit(long[] dims)
    {
        Assert.Null(ElementCounts.TryProduct(dims));
        var e = Assert.Throws<InvalidInputException>(() => ElementCounts.Product(dims, "tensor 'w'"));
        Assert.StartsWith("tensor 'w' has ", e.Message);
    }

    [Fact]
    public void CountsBytesOfPackedAndWideTypes()
    {
        Assert.Equal(4L, ElementCounts.TryBytes(ElementType.Float, 1));
        Assert.Equal(2L, ElementCounts.TryBytes(ElementType.Int4, 3));
        Assert.Equal(16L, ElementCounts.TryBytes(ElementType.Complex128, 1));
        Assert.Null(ElementCounts.TryBytes(ElementType.Float, long.MaxValue / 2));
        Assert.Throws<OverflowException>(() => ElementType.Double.ByteCount(1L << 61));
        var e = Assert.Throws<InvalidInputException>(() => ElementCounts.Bytes(ElementType.Float, 1L << 62, "tensor 'w'"));
        Assert.Contains("tensor 'w'", e.Message);
    }

    [Fact]
    public void ATensorNamesItselfWhenItsDimsOverflow()
    {
        var t = Tensor.FromStrings("big", Array.Empty<byte[]>(), 1L << 32, 1L << 32);
        var e = Assert.Throws<InvalidInputException>(() => t.ElementCount);
        Assert.Contains("tensor 'big'", e.Message);
    }
}
