import XCTest
import Foundation
import Wirtinger

/// The version is written once (`Wirtinger.version`): the CLI prints it and the CHANGELOG's
/// newest heading names it.
final class VersionTests: XCTestCase {
    func testVersionIsSemanticAndEverywhereTheSame() throws {
        let parts = Wirtinger.version.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertEqual(parts.count, 3, Wirtinger.version)
        XCTAssertTrue(parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isNumber) }, Wirtinger.version)

        let r = try CLI.run(["--version"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertEqual(r.stdout, "wirtinger \(Wirtinger.version)\n")

        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let changelog = try String(contentsOf: root.appendingPathComponent("CHANGELOG.md"), encoding: .utf8)
        let newest = try XCTUnwrap(changelog.split(separator: "\n").first { $0.hasPrefix("## ") })
        XCTAssertTrue(newest.hasPrefix("## \(Wirtinger.version) "), "CHANGELOG's newest heading '\(newest)' is not version \(Wirtinger.version)")
        XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent("LICENSE").path))
    }
}

/// The DocC catalog's articles are the repository's Docs pages, character for character.
final class DocCCatalogTests: XCTestCase {
    func testArticlesAreTheDocsPages() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for page in ["GettingStarted.md", "Porting.md"] {
            let docs = try String(contentsOf: root.appendingPathComponent("Docs/" + page), encoding: .utf8)
            let article = try String(contentsOf: root.appendingPathComponent("Sources/Wirtinger/Wirtinger.docc/" + page), encoding: .utf8)
            XCTAssertEqual(article, docs, "Sources/Wirtinger/Wirtinger.docc/\(page) differs from Docs/\(page): copy it over")
        }
    }
}
