import Foundation
import XCTest

/// The import graph, Package.swift and the diagram of Docs/Architecture.md say the same thing:
/// every module a target imports is a dependency it declares, and every declared dependency
/// points down the diagram's chain of layers.
final class ArchitectureTests: XCTestCase {
    private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Target name → declared dependencies, from the `.target` / `.executableTarget` lines of Package.swift.
    private func declaredDependencies() throws -> [String: Set<String>] {
        let manifest = try String(contentsOf: root.appendingPathComponent("Package.swift"), encoding: .utf8)
        let pattern = try NSRegularExpression(pattern: #"\.(?:target|executableTarget)\(name: "([A-Za-z]+)"(?:, dependencies: \[([^\]]*)\])?"#)
        var out: [String: Set<String>] = [:]
        for m in pattern.matches(in: manifest, range: NSRange(manifest.startIndex..., in: manifest)) {
            let name = String(manifest[Range(m.range(at: 1), in: manifest)!])
            let list = Range(m.range(at: 2), in: manifest).map { String(manifest[$0]) } ?? ""
            out[name] = Set(list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\"")) }.filter { !$0.isEmpty })
        }
        return out
    }

    /// Modules imported by the Swift files of `Sources/<target>`.
    private func imports(of target: String) throws -> Set<String> {
        let dir = root.appendingPathComponent("Sources").appendingPathComponent(target)
        guard let files = FileManager.default.enumerator(at: dir, includingPropertiesForKeys: nil) else { return [] }
        var out: Set<String> = []
        for case let file as URL in files where file.pathExtension == "swift" {
            for line in try String(contentsOf: file, encoding: .utf8).split(separator: "\n") {
                let words = line.split(separator: " ")
                if let i = words.firstIndex(of: "import"), words[..<i].allSatisfy({ $0.hasPrefix("@") }), i + 1 < words.count {
                    out.insert(String(words[i + 1]))
                }
            }
        }
        return out
    }

    func testEveryImportIsDeclared() throws {
        let declared = try declaredDependencies()
        let packageModules = Set(declared.keys)
        for (target, deps) in declared where FileManager.default.fileExists(atPath: root.appendingPathComponent("Sources/\(target)").path) {
            for module in try imports(of: target) where packageModules.contains(module) {
                XCTAssertTrue(deps.contains(module), "Sources/\(target) imports \(module), which Package.swift does not list among its dependencies")
            }
        }
    }

    /// The diagram's chain `wirtinger (CLI) ──► Wirtinger, Recipes ──► Relevance ──► … ──► Kernels`
    /// ranks the targets; a declared dependency must point to a lower rank.
    func testDiagramIsALayeringOfPackageSwift() throws {
        let doc = try String(contentsOf: root.appendingPathComponent("Docs/Architecture.md"), encoding: .utf8)
        guard let chain = doc.split(separator: "\n").first(where: { $0.contains("──►") && $0.contains("Kernels") }) else {
            return XCTFail("Docs/Architecture.md has no diagram line ending in Kernels")
        }
        var rank: [String: Int] = [:]
        for (level, group) in chain.components(separatedBy: "──►").reversed().enumerated() {
            for name in group.split(separator: ",") {
                let word = name.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
                rank[word] = level
            }
        }
        let declared = try declaredDependencies()
        for (target, deps) in declared where !deps.isEmpty && rank[target] != nil {
            for dep in deps where rank[dep] != nil {
                XCTAssertLessThan(rank[dep]!, rank[target]!, "\(target) depends on \(dep), which the diagram does not place below it")
            }
        }
        for target in ["Kernels", "Autodiff", "Ops", "NN", "Relevance", "Recipes", "Wirtinger", "wirtinger"] {
            XCTAssertNotNil(rank[target], "the diagram does not show \(target)")
            XCTAssertNotNil(declared[target], "Package.swift has no target \(target)")
        }
    }
}
