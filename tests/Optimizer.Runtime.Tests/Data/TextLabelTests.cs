using Optimizer.Onnx.Errors;
using Optimizer.Runtime.Data;
using Optimizer.TestKit;

namespace Optimizer.Runtime.Tests.Data;

/// <summary>A text recognizer's data folder: dictionary.txt makes the labels true text, read back as PaddleOCR's decoder reads classes.</summary>
public sealed class TextLabelTests
{
    [Fact]
    public void TheDictionaryMapsClassesAsPaddleOcrDoesWithTheSpaceLastWhenThereIsRoomForIt()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("dictionary.txt"), "a\nb\r\nc\n\n");
        var dictionary = CtcDictionary.ReadIfPresent(dir.Path)!;

        Assert.Equal(3, dictionary.Count);
        Assert.True(dictionary.Fits(4) && dictionary.Fits(5));
        Assert.False(dictionary.Fits(3) || dictionary.Fits(6));
        Assert.Equal("cab", dictionary.Text([3, 1, 2], 4));
        Assert.Equal("a c", dictionary.Text([1, 4, 3], 5)); // class n + 1 is the space of use_space_char
        Assert.Contains("3 entries, but the output has 7 classes", Assert.Throws<InvalidInputException>(() => dictionary.Text([1], 7)).Message);
        Assert.Null(CtcDictionary.ReadIfPresent(dir.File("nowhere")));
    }

    [Fact]
    public void BesideADictionaryLabelsAreTheRestOfTheLineSpacesIncluded()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("dictionary.txt"), "a\n");
        File.WriteAllLines(dir.File("labels.txt"), ["line_0.png\tNew York 42", "line_1.png 7", "# a comment"]);
        var labels = LabelFile.ReadIfPresent(dir.Path, text: CtcDictionary.ReadIfPresent(dir.Path) is not null)!;

        Assert.Equal("New York 42", labels.FindText("line_0.png"));
        Assert.Equal("7", labels.FindText("line_1")); // a number is text here, not a class
        Assert.Null(labels.Find("line_1.png"));

        File.Delete(dir.File("dictionary.txt"));
        File.WriteAllLines(dir.File("labels.txt"), ["line_1.png 7"]);
        Assert.Equal(7, LabelFile.ReadIfPresent(dir.Path)!.Find("line_1.png")); // without one, class indices as before
    }

    [Fact]
    public void LabelsInAnotherEncodingThanUtf8AreRefusedNotReadAsOtherCharacters()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("dictionary.txt"), "你\n好\n");
        // "line_0.png 你好" in GBK: C4 E3 BA C3 are no UTF-8
        File.WriteAllBytes(dir.File("labels.txt"), [.. "line_0.png "u8.ToArray(), 0xC4, 0xE3, 0xBA, 0xC3, (byte)'\n']);
        var e = Assert.Throws<InvalidInputException>(() => LabelFile.ReadIfPresent(dir.Path, text: true));
        Assert.Contains("labels.txt: not UTF-8 text", e.Message);

        // the same in UTF-8, with a byte-order mark, reads as the text it is
        File.WriteAllText(dir.File("labels.txt"), "line_0.png 你好\r\n", new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: true));
        Assert.Equal("你好", LabelFile.ReadIfPresent(dir.Path, text: true)!.FindText("line_0.png"));
    }

    [Fact]
    public void TextLabelsWithoutADictionarySayWhatIsMissing()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllLines(dir.File("labels.txt"), ["line_0.png New York"]);

        var e = Assert.Throws<InvalidInputException>(() => LabelFile.ReadIfPresent(dir.Path));

        Assert.Contains("need the dictionary.txt of its classes beside them", e.Message);
    }

    [Fact]
    public void TextLabelsInACsvMayBeQuoted()
    {
        using var dir = TestPaths.NewTempDir();
        File.WriteAllText(dir.File("dictionary.txt"), "a\n");
        File.WriteAllLines(dir.File("labels.csv"), ["\"line_0.png\",\"New York, 42\"", "\"line_1.png\", \"say \"\"hi\"\"\"", "line_2.png, kept as written"]);
        var labels = LabelFile.ReadIfPresent(dir.Path, text: true)!;

        Assert.Equal("New York, 42", labels.FindText("line_0.png"));
        Assert.Equal("say \"hi\"", labels.FindText("line_1"));
        Assert.Equal(" kept as written", labels.FindText("line_2.png")); // unquoted: the rest of the line, as before
    }
}
