package scenarios

import "gopkg.in/yaml.v3"

type yamlNode = yaml.Node

var yamlUnmarshal = yaml.Unmarshal
