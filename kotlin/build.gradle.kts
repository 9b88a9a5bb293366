// Android library: the uniffi-generated bindings (src/main/kotlin/com/tokenexchange/token_exchange.kt),
// the idiomatic layer beside them, Android-only helpers (src/android/kotlin) and the Rust library
// for each ABI (src/main/jniLibs/<abi>/libtoken_exchange_mobile.so, the phone library, built by build-android-libs.sh).
plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
    `maven-publish`
}

// Maven coordinates com.tokenexchange:token-exchange:<version> (the artifact id is the root
// project's name, settings.gradle.kts). The version is the workspace's (Cargo.toml
// [workspace.package]): `cargo xtask version` fails when they differ, and
// `cargo xtask version --set X.Y.Z` changes both.
group = "com.tokenexchange"
version = "0.1.0"

android {
    namespace = "com.tokenexchange"
    compileSdk = 35

    defaultConfig {
        // java.time.Duration (timeouts, retryAfter) needs API 26.
        minSdk = 26
        consumerProguardFiles("consumer-rules.pro")
    }

    sourceSets["main"].apply {
        java.srcDirs("src/main/kotlin", "src/android/kotlin")
        jniLibs.srcDirs("src/main/jniLibs")
    }
    // The JUnit tests run on the host JVM against the host build of the library
    // (cargo build -p token-exchange-mobile) and a running emulator (TOKEN_EXCHANGE_EMULATOR_URL).
    sourceSets["test"].java.srcDirs("src/test/kotlin")

    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }

    testOptions {
        unitTests.all {
            it.systemProperty(
                "jna.library.path",
                System.getenv("TOKEN_EXCHANGE_LIB_DIR")
                    ?: "${rootDir.parentFile}/target/debug",
            )
        }
    }
}

kotlin {
    jvmToolchain(17)
}

dependencies {
    // JNA as an AAR: it carries libjnidispatch.so for every Android ABI.
    implementation("net.java.dev.jna:jna:5.15.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")

    testImplementation("junit:junit:4.13.2")
    // Host unit tests load the desktop JNA (the AAR has no host native part).
    testImplementation("net.java.dev.jna:jna:5.15.0")
}

// The AAR's Maven publication (`./gradlew publishReleasePublicationToMavenLocal`, or a repository
// of yours): coordinates from group/version above and the artifact id of pom.xml, metadata
// (name, description, url, licenses, developers, scm) read from pom.xml, the one place they are
// written (the JVM jar of `cargo xtask jar` carries the same file). Not run on the Linux CI
// machine (no Gradle or Android SDK there).
android {
    publishing {
        singleVariant("release") {
            withSourcesJar()
        }
    }
}

val pomXml: org.w3c.dom.Document = javax.xml.parsers.DocumentBuilderFactory.newInstance()
    .newDocumentBuilder()
    .parse(file("pom.xml"))

/** The text of the first `<tag>` inside the first `<within>` of pom.xml. */
fun pomText(tag: String, within: String = "project"): String =
    (pomXml.getElementsByTagName(within).item(0) as org.w3c.dom.Element)
        .getElementsByTagName(tag).item(0).textContent.trim()

afterEvaluate {
    publishing {
        publications {
            create<MavenPublication>("release") {
                from(components["release"])
                artifactId = pomText("artifactId")
                pom {
                    name.set(pomText("name"))
                    description.set(pomText("description"))
                    url.set(pomText("url"))
                    licenses {
                        val all = pomXml.getElementsByTagName("license")
                        for (i in 0 until all.length) {
                            val element = all.item(i) as org.w3c.dom.Element
                            license {
                                name.set(element.getElementsByTagName("name").item(0).textContent)
                                url.set(element.getElementsByTagName("url").item(0).textContent)
                            }
                        }
                    }
                    developers {
                        developer {
                            id.set(pomText("id", within = "developer"))
                            name.set(pomText("name", within = "developer"))
                            url.set(pomText("url", within = "developer"))
                        }
                    }
                    scm {
                        connection.set(pomText("connection"))
                        developerConnection.set(pomText("developerConnection"))
                        url.set(pomText("url", within = "scm"))
                    }
                }
            }
        }
    }
}
