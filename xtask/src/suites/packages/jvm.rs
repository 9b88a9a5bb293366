//! The JVM consumer kind: a Gradle project (`build.gradle.kts`) depending on
//! `com.tokenexchange:token-exchange`, with Kotlin sources under `src/main/kotlin` and/or Java
//! sources under `src/main/java`. No Gradle runs here: the sources are compiled with kotlinc and
//! javac against exactly what that dependency brings a user (the jar of [`crate::jar`], JNA,
//! kotlinx-coroutines, the Kotlin standard library), and the class named by
//! `mainClass.set("…")` runs on the JVM without `jna.library.path` or `LD_LIBRARY_PATH`: JNA
//! finds the Rust library inside the jar. The jar is built once per suite run.

use std::cell::OnceCell;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus};

use super::Kind;
use crate::bail;
use crate::cmd;
use crate::error::{Context, Error, Result};
use crate::install::Installed;
use crate::jar;
use crate::provision::{KotlinTools, Provisioner};
use crate::suites::files_with_ext_recursive;
use crate::workspace::Workspace;

/// Where the compiled classes go, in the build directory.
const CLASSES: &str = "classes";
/// The file, in the build directory, naming the main class for [`Kind::run`].
const MAIN_CLASS_FILE: &str = "main-class";

/// A JVM program against the jar.
#[derive(Default)]
pub struct Jvm {
    tools: Option<(KotlinTools, PathBuf)>,
    /// The jar, built by the first consumer that needs it (or why it could not be).
    jar: OnceCell<std::result::Result<PathBuf, String>>,
}

impl Jvm {
    fn tools(&self) -> Result<&(KotlinTools, PathBuf)> {
        self.tools.as_ref().ok_or_else(|| Error::msg("not prepared"))
    }

    /// What a Gradle user's runtime classpath holds besides their own classes.
    fn dependencies<'a>(tools: &'a KotlinTools, jar: &'a Path) -> Vec<&'a Path> {
        vec![jar, &tools.jna, &tools.coroutines, &tools.stdlib]
    }
}

impl Kind for Jvm {
    fn name(&self) -> &'static str {
        "jvm"
    }

    fn build_file(&self) -> &'static str {
        "build.gradle.kts"
    }

    fn prepare(&mut self, prov: &mut Provisioner) -> Result<()> {
        let kotlin = prov.kotlin()?;
        let javac = prov.system_tool("javac", &["default-jdk-headless"])?;
        self.tools = Some((kotlin, javac));
        Ok(())
    }

    fn build(&self, ws: &Workspace, consumer: &Path, build_dir: &Path, _installed: &Installed) -> Result<()> {
        let (tools, javac) = self.tools()?;
        let jar = self
            .jar
            .get_or_init(|| jar::build(ws, tools, &ws.scratch_dir("packages-jar")).map_err(|e| e.to_string()))
            .as_ref()
            .map_err(|e| Error::msg(format!("cargo xtask jar failed: {e}")))?;

        let gradle = fs::read_to_string(consumer.join(self.build_file()))?;
        let main_class =
            main_class(&gradle).ok_or_else(|| Error::msg(format!("{} names no mainClass", self.build_file())))?;
        let classes = build_dir.join(CLASSES);
        fs::create_dir_all(&classes)?;
        let deps = Self::dependencies(tools, jar);
        let kotlin = files_with_ext_recursive(&consumer.join("src/main/kotlin"), "kt");
        let java = files_with_ext_recursive(&consumer.join("src/main/java"), "java");
        if kotlin.is_empty() && java.is_empty() {
            bail!("no sources under src/main/kotlin or src/main/java");
        }
        if !kotlin.is_empty() {
            cmd::run(
                Command::new(&tools.kotlinc)
                    .arg("-cp")
                    .arg(classpath(&deps)?)
                    .arg("-d")
                    .arg(&classes)
                    .args(&kotlin),
            )?;
        }
        if !java.is_empty() {
            let mut cp = deps.clone();
            cp.push(&classes);
            cmd::run(
                Command::new(javac)
                    .arg("-cp")
                    .arg(classpath(&cp)?)
                    .arg("-d")
                    .arg(&classes)
                    .args(&java),
            )?;
        }
        fs::write(build_dir.join(MAIN_CLASS_FILE), main_class)?;
        Ok(())
    }

    fn run(&self, _ws: &Workspace, build_dir: &Path, args: &[String]) -> Result<ExitStatus> {
        let (tools, _) = self.tools()?;
        let Some(Ok(jar)) = self.jar.get() else {
            bail!("the jar was not built");
        };
        let main_class = fs::read_to_string(build_dir.join(MAIN_CLASS_FILE)).context("the main class")?;
        let classes = build_dir.join(CLASSES);
        let mut cp: Vec<&Path> = vec![&classes];
        cp.extend(Self::dependencies(tools, jar));
        cmd::status(
            Command::new(&tools.java)
                .arg("-cp")
                .arg(classpath(&cp)?)
                .arg(main_class.trim())
                .args(args)
                .current_dir(build_dir)
                .env_remove("LD_LIBRARY_PATH"),
        )
    }
}

fn classpath(jars: &[&Path]) -> Result<std::ffi::OsString> {
    std::env::join_paths(jars).context("a classpath entry holds ':'")
}

/// The class of `mainClass.set("…")` (or `mainClass = "…"`) in a `build.gradle.kts`.
fn main_class(gradle: &str) -> Option<String> {
    gradle.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("mainClass")?;
        let start = rest.find('"')? + 1;
        let len = rest[start..].find('"')?;
        Some(rest[start..start + len].to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_main_class() {
        let gradle = "application {\n    mainClass.set(\"app.MainKt\")\n}\n";
        assert_eq!(main_class(gradle).as_deref(), Some("app.MainKt"));
        assert_eq!(main_class("mainClass = \"app.Main\"\n").as_deref(), Some("app.Main"));
        assert_eq!(main_class("plugins { java }\n"), None);
    }
}
