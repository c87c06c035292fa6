// Test harness for the Jenkins shared library (Jenkins itself cannot run here).
//   groovy harness.groovy syntax FILE...   parse each file (syntax only)
//   groovy harness.groovy run CASES.json   run vars/*.groovy with recording stubs
//     for the Jenkins steps; prints one JSON line per case:
//     {"calls":[{withEnv:[…]},{withCredentials:[…]},{sshagent:[…]},{sh:"…",gstring:false}], "result":…}
import groovy.json.JsonOutput
import groovy.json.JsonSlurper
import org.codehaus.groovy.control.CompilationUnit
import org.codehaus.groovy.control.Phases

if (args[0] == 'syntax') {
  args.drop(1).each { f ->
    def cu = new CompilationUnit()
    cu.addSource(new File(f))
    cu.compile(Phases.CONVERSION)
  }
  println 'syntax ok'
  return
}

def cases = new JsonSlurper().parse(new File(args[1]))
cases.each { c ->
  def calls = []
  def binding = new Binding()
  def isG = { v -> v instanceof GString }
  binding.setVariable('withEnv', { List e, Closure body -> calls << [withEnv: e.collect { it.toString() }, gstring: false]; body() })
  binding.setVariable('withCredentials', { List l, Closure body -> calls << [withCredentials: l]; body() })
  binding.setVariable('sshagent', { Map m, Closure body -> calls << [sshagent: m.credentials]; body() })
  binding.setVariable('usernamePassword', { Map m -> [usernamePassword: m] })
  binding.setVariable('file', { Map m -> [file: m] })
  binding.setVariable('string', { Map m -> [string: m] })
  binding.setVariable('sh', { a ->
    def s = a instanceof Map ? a.script : a
    calls << [sh: s.toString(), gstring: isG(s)]
    return (c.stdout ?: '') + '\n'
  })
  binding.setVariable('error', { String m -> throw new RuntimeException(m) })
  binding.setVariable('env', c.env ?: [:])
  def script = new GroovyShell(binding).parse(new File(c.file))
  def out = [file: c.file]
  try {
    out.result = script.invokeMethod('call', [c.args ?: [:]] as Object[])?.toString()
  } catch (RuntimeException e) {
    out.error = e.message
  }
  out.calls = calls
  println JsonOutput.toJson(out)
}
